"""The OpenAPI 3 document of the push API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("openapi", __name__)
# The syntax catalogue_core.doi accepts in a URL (no resolver prefix there).
DOI_PATTERN = r"^10\.[0-9]{4,9}(\.[0-9]+)*/[!-~]+$"

_DOI = {
    "name": "doi",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": DOI_PATTERN, "maxLength": 1000},
    "description": "The DOI, with its slash or percent-encoded; case-insensitive.",
    "example": "10.16907/05a50450-767f-421d-9832-342b57c201af",
}
_PROBLEM = {
    "description": "Problem details naming the offending fields",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
_WRITE = {
    "description": "Outcome of the write",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WriteResult"}}},
}
_UNAUTHORIZED = {
    **_PROBLEM,
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "The accepted schemes"}},
}
_UNAVAILABLE = {
    **_PROBLEM,
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
}
_ERRORS = {
    **{str(code): _PROBLEM for code in (400, 403, 413, 415, 422)},
    "401": _UNAUTHORIZED,
    "503": _UNAVAILABLE,
}
_READ_ERRORS = {code: _ERRORS[code] for code in ("400", "401", "403", "503")}
_STALE = {
    **_PROBLEM,
    "description": "Stale write: a later write of this DOI (a higher X-Dmzpub-Sequence) was applied already; "
    "nothing changed. The publisher counts the entry as superseded and does not retry it.",
}
_SEQUENCE = {
    "name": "X-Dmzpub-Sequence",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    "description": "The publisher's order of writes per DOI. A write whose sequence is lower than the last one "
    "recorded for its DOI (a PUT delayed past a later withdrawal, say) is refused with 409; an equal one is a "
    "retry. Without the header the write is applied as it arrives.",
}
_SEQUENCES = {
    **_SEQUENCE,
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}( *, *[0-9]{1,18})*$"},
    "description": "One sequence per document, comma-separated, in the body's order (see the PUT). "
    "A stale item answers status `stale`, httpStatus 409.",
}
# A DOI path with a line break matches no route: the write is refused with a routing 404.
_UNROUTED = {"404": {**_PROBLEM, "description": "The path holds no DOI this route takes (a line break, say)"}}


def _json(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PublishedData"}}},
}
_AMENDMENT = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Amendment"}}},
}


_FIELD_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    },
}
_SUMMARY: dict[str, Any] = {
    "type": "object",
    "required": ["doi", "key", "datestamp", "contentHash", "deleted"],
    "properties": {
        "doi": {"type": "string"},
        "key": {"type": "string"},
        "datestamp": {"type": "string", "format": "date-time"},
        "contentHash": {"type": "string"},
        "deleted": {"type": "boolean"},
    },
}
_REJECTED = {
    "type": "object",
    "required": ["index", "doi", "status", "httpStatus", "title", "errors"],
    "properties": {
        "index": {"type": "integer", "minimum": 0},
        "doi": {"type": "string", "nullable": True},
        "status": {"type": "string", "enum": ["rejected"]},
        "httpStatus": {"type": "integer", "enum": [400, 422]},
        "title": {"type": "string"},
        "errors": _FIELD_ERRORS,
    },
}
_WRITTEN = {
    "allOf": [
        {"$ref": "#/components/schemas/WriteResult"},
        {
            "type": "object",
            "required": ["index", "httpStatus"],
            "properties": {"index": {"type": "integer"}, "httpStatus": {"type": "integer", "enum": [200, 201, 409]}},
        },
    ]
}
_RESULT_SCHEMAS: dict[str, Any] = {
    "Record": {
        "type": "object",
        "required": ["doi", "key", "datestamp", "deleted", "contentHash", "sets", "metadata"],
        "properties": {
            **_SUMMARY["properties"],
            "created": {"type": "string", "format": "date-time"},
            "sets": {"type": "array", "items": {"type": "string"}},
            "withdrawalReason": {"type": "string", "nullable": True},
            "metadata": {"type": "object"},
            "extras": {"type": "object"},
            "payload": {"description": "The document as pushed"},
        },
    },
    "BulkResult": {
        "type": "object",
        "required": ["items", "summary"],
        "properties": {
            "items": {"type": "array", "items": {"oneOf": [_WRITTEN, _REJECTED]}},
            "summary": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
        },
    },
    "Page": {
        "type": "object",
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": _SUMMARY},
            "next": {"type": "string", "format": "uri", "nullable": True},
        },
    },
}


def document(server_url: str) -> dict[str, Any]:
    """Return the OpenAPI document with the given server URL."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "dmzpub push API",
            "version": "1.0.0",
            "description": "The intranet catalogue pushes published records to the DMZ.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/published/{doi}": {
                "parameters": [_DOI],
                "put": {
                    "summary": "Create or update a published record",
                    "operationId": "putRecord",
                    "parameters": [_SEQUENCE],
                    "requestBody": _BODY,
                    "responses": {"200": _WRITE, "201": _WRITE, "409": _STALE, **_ERRORS, **_UNROUTED},
                },
                "patch": {
                    "summary": "Amend a published record: the body's top-level fields replace the stored ones",
                    "description": "Fields the body lacks, and null or empty values, keep their stored values; "
                    "the merged document is then normalised and validated like a PUT.",
                    "operationId": "patchRecord",
                    "requestBody": _AMENDMENT,
                    "responses": {"200": _WRITE, "404": _PROBLEM, **_ERRORS},
                },
                "get": {
                    "summary": "Read the canonical record or its tombstone",
                    "operationId": "getRecord",
                    "responses": {
                        "200": _json("The record", "#/components/schemas/Record"),
                        "404": _PROBLEM,
                        **_READ_ERRORS,
                    },
                },
                "delete": {
                    "summary": "Withdraw a record (keeps a tombstone)",
                    "operationId": "withdrawRecord",
                    "parameters": [_SEQUENCE],
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"reason": {"type": "string", "maxLength": 2000}},
                                }
                            }
                        },
                    },
                    "responses": {"200": _WRITE, "404": _PROBLEM, "409": _STALE, **_ERRORS},
                },
            },
            "/api/v1/published": {
                "post": {
                    "summary": "Create or update many records",
                    "operationId": "bulkPublish",
                    "parameters": [_SEQUENCES],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/PublishedData"},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json("Every item succeeded", "#/components/schemas/BulkResult"),
                        "207": _json(
                            "Some items were rejected or stale; see items[]", "#/components/schemas/BulkResult"
                        ),
                        **_ERRORS,
                    },
                },
                "get": {
                    "summary": "List records in DOI order, one keyset page at a time",
                    "operationId": "listRecords",
                    "parameters": [
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": 1000,
                                "default": 100,
                            },
                        },
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "The last key of the previous page",
                        },
                    ],
                    "responses": {
                        "200": {
                            **_json("A page of summaries", "#/components/schemas/Page"),
                            "headers": {
                                "Link": {"schema": {"type": "string"}, "description": 'The next page, rel="next"'},
                            },
                        },
                        **_READ_ERRORS,
                    },
                },
            },
            "/scicat/oai/Publication": {
                "post": {
                    "summary": "SciCat drop-in: publish at registration",
                    "operationId": "scicatCreate",
                    "security": [{"bearer": []}, {"basic": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/PublishedData"},
                                        {"type": "array", "items": {"$ref": "#/components/schemas/PublishedData"}},
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "One record written, or every item of an array",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/WriteResult"},
                                            {"$ref": "#/components/schemas/BulkResult"},
                                        ]
                                    }
                                }
                            },
                        },
                        "201": _WRITE,
                        "207": _json("Some items of an array were rejected", "#/components/schemas/BulkResult"),
                        **_ERRORS,
                    },
                }
            },
            "/scicat/oai/Publication/{doi}": {
                "parameters": [{**_DOI, "description": "The DOI percent-encoded twice, as SciCat sends it"}],
                "put": {
                    "summary": "SciCat drop-in: merge a resync onto the published record",
                    "description": "Same merge as PATCH /api/v1/published/{doi}; a DOI not published here "
                    "answers 200 with status not_published and publishes nothing.",
                    "operationId": "scicatUpdate",
                    "security": [{"bearer": []}, {"basic": []}],
                    "requestBody": _AMENDMENT,
                    "responses": {
                        "200": {
                            "description": "The amendment was published, or the DOI is not published here",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/WriteResult"},
                                            {"$ref": "#/components/schemas/NotPublished"},
                                        ]
                                    }
                                }
                            },
                        },
                        **_ERRORS,
                        **_UNROUTED,
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
                "PublishedData": {
                    "type": "object",
                    "description": "SciCat PublishedData, v3 or v4 shape",
                    "required": ["doi", "title"],
                    "properties": {
                        "doi": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "string"},
                        "metadata": {"type": "object"},
                    },
                },
                "Amendment": {
                    "type": "object",
                    "description": "Top-level PublishedData fields to change (SciCat's resync sends the edit form's)",
                },
                "NotPublished": {
                    "type": "object",
                    "required": ["doi", "status", "published"],
                    "properties": {
                        "doi": {"type": "string"},
                        "key": {"type": "string"},
                        "status": {"type": "string", "enum": ["not_published"]},
                        "published": {"type": "boolean", "enum": [False]},
                        "detail": {"type": "string"},
                    },
                },
                "WriteResult": {
                    "type": "object",
                    "required": ["doi", "datestamp", "status"],
                    "properties": {
                        "doi": {"type": "string"},
                        "key": {"type": "string"},
                        "datestamp": {"type": "string", "format": "date-time"},
                        "status": {
                            "type": "string",
                            "enum": ["created", "updated", "unchanged", "withdrawn", "stale"],
                        },
                        "deleted": {"type": "boolean"},
                        "links": {"type": "object", "properties": {"self": {"type": "string", "format": "uri"}}},
                    },
                },
                **_RESULT_SCHEMAS,
                "Problem": {
                    "type": "object",
                    "required": ["title", "status"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "errors": _FIELD_ERRORS,
                    },
                },
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI document."""
    return jsonify(document(current_app.config["DMZPUB_BASE_URL"]))
