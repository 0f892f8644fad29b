"""The embedded local stack: template.yaml's resources on moto, in process."""

from infra.local.stack import LambdaContext, LocalStack, load_template

__all__ = ["LambdaContext", "LocalStack", "load_template"]
