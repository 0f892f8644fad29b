"""The allocation run's state machine: its ASL definition and a local runner on moto."""
