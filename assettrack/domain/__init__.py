"""The pure cores: rules and formats that know nothing of Flask, the database or the request.

Each module here takes plain values and returns plain values (or raises a ``DomainError``), so it
can be tested without an application and reused by the web, the API, the CLI and the jobs:
``lifecycle`` (stages, actions, the transition table), ``money`` (ISO 4217, amounts), ``clock``
(the one "now" and "today"), ``schema`` (the FollowTheMoney registry and assettrack's overlay),
``ftm`` and ``bods`` (file formats), ``matching`` (the record-comparison core used by duplicates
and screening), ``mentions`` (finding and replacing protected names in text) and ``reference``
(case references).
"""
