"""The database home of provider access tokens (the ``TokenStore`` of providers/access_tokens.py
on the ``provider_access_tokens`` table): ``repository`` has the SQL, ``store`` the async store
the adapters use (each step a short transaction off the event loop)."""
