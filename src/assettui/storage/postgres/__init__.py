"""PostgreSQL instance storage (``--storage postgresql://...``), through psycopg 3."""
