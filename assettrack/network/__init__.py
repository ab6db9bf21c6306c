"""Network analysis of the entities of a case: ownership chains, brokers, communities.

The pure core lives in :mod:`assettrack.network.analysis`; it imports nothing from Flask or the
database.
"""
