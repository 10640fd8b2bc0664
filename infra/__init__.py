"""The Pulumi program (``__main__``) and the components it composes."""
