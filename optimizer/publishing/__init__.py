"""What ad buying systems read: allocation records, run summaries, value tiers and exports.

Pure: these are the shapes the serving layer stores and serves, and the functions that turn
a plan into them. The adapters in `functions/` only move them in and out of AWS.
"""
