"""The ingest Lambda: interaction events from SQS or Kinesis into profiles."""
