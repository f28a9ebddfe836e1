"""The head-end: receives frames, stores readings, serves them (API, push, exports).

Rooms: :mod:`openamr.headend.store` (persistence behind one interface, SQLite and PostgreSQL),
:mod:`openamr.headend.ingest` (frames in, acknowledgements out), :mod:`openamr.headend.listener`
(UDP/TCP sockets), :mod:`openamr.headend.settings`, and the API, push, alarms and export rooms.
The head-end never imports :mod:`openamr.field`.
"""
