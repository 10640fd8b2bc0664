"""S3: buckets and their configuration resources (encryption, public access block,
versioning, CORS, lifecycle, notifications to queues)."""
