"""WeChat through the Official Account platform (公众号).

``wire`` (XML and JSON shapes, parsed with defusedxml), ``signature`` (sha1 of the sorted
token/timestamp/nonce) and ``crypto`` (the AES "safe mode") are pure: the simulator shares them.
``client`` is the adapter (``WeChatChannel``), ``errors`` the table on ``errcode``, ``parse``
turns server callbacks into typed events, ``window`` is the 48 h customer-service rule.
Reference: docs/reference/networks.md §3.
"""
