"""From profiles to plans: the work one allocation run (or one re-plan) does, pure.

`features` turns profiles into arrays; `models` fits and stores what the value and response
engines learn from everyone (the nightly refit); `scoring` turns one person's or a shard's
features into an `AllocationProblem`; `records` turns a plan back into what buyers read.
The Lambdas and the local runner call exactly these functions, shard by shard.
"""
