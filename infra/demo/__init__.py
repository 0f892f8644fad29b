"""The demo: the value engine on CDNOW, then the whole serverless pipeline on the local stack."""
