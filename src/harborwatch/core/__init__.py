"""Core: errors, canonical Arrow schemas, AIS reference tables (MID, sentinels), identifiers.

This is the lowest layer; it imports nothing else from harborwatch.
"""
