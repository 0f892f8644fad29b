"""Code shared by the Lambda functions: observability, the profile store port and adapter."""
