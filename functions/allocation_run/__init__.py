"""The allocation run's steps (one Lambda each), wired by the Step Functions state machine."""
