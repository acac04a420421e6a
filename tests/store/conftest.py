from s3_server import bucket, s3_server, s3_storage  # noqa: F401 - fixtures: moto's S3 server, a bucket, a storage

from vaist_lab.store.testing import backend, database_url  # noqa: F401 - fixtures: every test on both databases
