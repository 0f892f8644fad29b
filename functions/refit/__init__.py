"""The scheduled refit of the population and segment priors."""
