"""The `oai-repo` library serving a copy of the bench's records from SQLite, pre-rendered, for comparison.

Run as `python bench/_oai_repo_app.py DB BIND WORKERS THREADS`: the same gunicorn runner
(`oai_server.gunicorn_app.run`, gthread, access log on) that `dmzpub serve` uses, behind a
minimal Flask view, as a facility would deploy the library. `copy_records` builds DB from
a filled dmzpub SQLite store: per record its OAI identifier, datestamp, sets and the stored
XML of each format, so the library pays no rendering either.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from datetime import datetime
from pathlib import Path

from lxml import etree

PREFIXES = {
    "oai_dc": ("http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/"),
    "oai_datacite": ("http://schema.datacite.org/oai/oai-1.1/oai.xsd", "http://schema.datacite.org/oai/oai-1.1/"),
    "datacite": (
        "http://schema.datacite.org/meta/kernel-4.5/metadata.xsd",
        "http://datacite.org/schema/kernel-4",
    ),
}
ID_PREFIX = "oai:doi.example.org:"


def copy_records(source: Path, target: Path) -> None:
    """Copy the records of a dmzpub SQLite store into the library's own table."""
    out = sqlite3.connect(target)
    out.executescript(
        "CREATE TABLE recs (id TEXT PRIMARY KEY, datestamp TEXT, sets TEXT, oai_dc TEXT, oai_datacite TEXT,"
        " datacite TEXT); CREATE INDEX recs_order ON recs (datestamp, id);"
    )
    out.execute("ATTACH DATABASE ? AS src", (str(source),))
    # Keyed by the records row's id and the format's slot since schema 7 (sqlite_rendered), by key before.
    from catalogue_core.store.sqlite_rendered import SLOTS

    by_id = f"x.id = r.rowid * {SLOTS} + (SELECT slot FROM src.rendered_slots WHERE prefix = ?)"
    by_key = "x.key = r.key AND x.prefix = ?"
    columns = [row[1] for row in out.execute("PRAGMA src.table_info(rendered)")]
    part = f"(SELECT xml FROM src.rendered x WHERE {by_id if 'id' in columns else by_key})"
    out.execute(
        f"INSERT INTO recs SELECT ? || r.doi, r.datestamp, r.sets, {part}, {part}, {part} FROM src.records r",
        (ID_PREFIX, "oai_dc", "oai_datacite", "datacite"),
    )
    out.commit()
    out.close()


def make_app(db_path: str):
    """Return a Flask app answering /oai through oai-repo over the copied records."""
    import oai_repo
    from flask import Flask, Response, request

    local = threading.local()

    def db() -> sqlite3.Connection:
        if getattr(local, "db", None) is None:
            local.db = sqlite3.connect(db_path, check_same_thread=False)
        return local.db

    class Data(oai_repo.DataInterface):
        limit = 100

        def get_identify(self) -> oai_repo.Identify:
            ident = oai_repo.Identify()
            ident.repository_name = "oai-repo bench"
            ident.base_url = "https://doi.example.org/oai"
            ident.admin_email = ["admin@example.org"]
            ident.earliest_datestamp = "2000-01-01T00:00:00Z"
            ident.deleted_record = "persistent"
            ident.granularity = "YYYY-MM-DDThh:mm:ssZ"
            return ident

        def is_valid_identifier(self, identifier: str) -> bool:
            return db().execute("SELECT 1 FROM recs WHERE id = ?", (identifier,)).fetchone() is not None

        def get_metadata_formats(self, identifier: str | None = None) -> list:
            return [oai_repo.MetadataFormat(p, s, n) for p, (s, n) in PREFIXES.items()]

        def get_records_header(self, identifiers: list[str]) -> list:
            marks = ",".join("?" * len(identifiers))
            rows = db().execute(f"SELECT id, datestamp, sets FROM recs WHERE id IN ({marks})", identifiers)
            by_id = {i: (d, json.loads(s)) for i, d, s in rows}
            return [oai_repo.RecordHeader(i, by_id[i][0], list(by_id[i][1])) for i in identifiers]

        def get_records_metadata(self, identifiers: list[str], metadataprefix: str) -> list:
            marks = ",".join("?" * len(identifiers))
            sql = f"SELECT id, {metadataprefix} FROM recs WHERE id IN ({marks})"  # prefix checked by the library
            by_id = dict(db().execute(sql, identifiers).fetchall())
            return [etree.fromstring(by_id[i]) for i in identifiers]

        def get_records_abouts(self, identifiers: list[str]) -> list:
            return [[] for _ in identifiers]

        def list_identifiers(self, metadataprefix, filter_from=None, filter_until=None, filter_set=None, cursor=0):
            clauses, args = [], []
            if filter_from:
                clauses.append("datestamp >= ?")
                args.append(_stamp(filter_from))
            if filter_until:
                clauses.append("datestamp <= ?")
                args.append(_stamp(filter_until))
            where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
            size = db().execute(f"SELECT count(*) FROM recs{where}", args).fetchone()[0]
            rows = db().execute(
                f"SELECT id FROM recs{where} ORDER BY datestamp, id LIMIT ? OFFSET ?", [*args, self.limit, cursor]
            )
            return [r[0] for r in rows], size, None

    repository = oai_repo.OAIRepository(Data())
    app = Flask("oai_repo_bench")
    app.config["DMZPUB_FORWARDED_ALLOW_IPS"] = []  # the one setting the shared gunicorn options read

    @app.get("/oai")
    def oai() -> Response:
        response = repository.process(request.args.to_dict())
        return Response(bytes(response), mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from oai_server.gunicorn_app import run

    db_path, bind, workers, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    run(make_app(db_path), bind, workers, threads)
