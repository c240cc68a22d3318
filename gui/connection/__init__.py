"""Connection feature: the PostgreSQL dialog, recent connections and passwords in the OS keyring."""
