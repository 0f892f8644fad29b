"""Re-plan a person as soon as their profile changes (DynamoDB stream)."""
