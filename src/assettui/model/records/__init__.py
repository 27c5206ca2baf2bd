"""What the instance records, as plain values: runs, their statuses, and events.

Storage backends keep and query them; definitions (run status sensors, job results) and the
engine read them. Nothing here touches a database.
"""
