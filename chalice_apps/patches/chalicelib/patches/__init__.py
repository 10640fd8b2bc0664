"""patches (seed 001): Linux kernel patches from Patchwork and their lore.kernel.org threads."""
