"""The OpenAPI 3 document of the push API, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

bp = Blueprint("openapi", __name__)

_DOI = {
    "name": "doi",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
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
_ERRORS = {str(code): _PROBLEM for code in (400, 401, 403, 413, 415, 422, 503)}
_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PublishedData"}}},
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
                    "requestBody": _BODY,
                    "responses": {"200": _WRITE, "201": _WRITE, **_ERRORS},
                },
                "get": {
                    "summary": "Read the canonical record or its tombstone",
                    "operationId": "getRecord",
                    "responses": {
                        "200": {
                            "description": "The record",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "404": _PROBLEM,
                        **_ERRORS,
                    },
                },
                "delete": {
                    "summary": "Withdraw a record (keeps a tombstone)",
                    "operationId": "withdrawRecord",
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
                    "responses": {"200": _WRITE, "404": _PROBLEM, **_ERRORS},
                },
            },
            "/api/v1/published": {
                "post": {
                    "summary": "Create or update many records",
                    "operationId": "bulkPublish",
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
                        "200": {"description": "Every item succeeded"},
                        "207": {"description": "Some items were rejected; see items[]"},
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
                    "responses": {"200": {"description": "A page of summaries"}, **_ERRORS},
                },
            },
            "/scicat/oai/Publication": {
                "post": {
                    "summary": "SciCat drop-in: publish at registration",
                    "operationId": "scicatCreate",
                    "security": [{"bearer": []}, {"basic": []}],
                    "requestBody": _BODY,
                    "responses": {"200": _WRITE, "201": _WRITE, **_ERRORS},
                }
            },
            "/scicat/oai/Publication/{doi}": {
                "parameters": [{**_DOI, "description": "The DOI percent-encoded twice, as SciCat sends it"}],
                "put": {
                    "summary": "SciCat drop-in: publish an amendment",
                    "operationId": "scicatUpdate",
                    "security": [{"bearer": []}, {"basic": []}],
                    "requestBody": _BODY,
                    "responses": {"200": _WRITE, "201": _WRITE, **_ERRORS},
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
                "WriteResult": {
                    "type": "object",
                    "required": ["doi", "datestamp", "status"],
                    "properties": {
                        "doi": {"type": "string"},
                        "key": {"type": "string"},
                        "datestamp": {"type": "string", "format": "date-time"},
                        "status": {
                            "type": "string",
                            "enum": ["created", "updated", "unchanged", "withdrawn"],
                        },
                        "deleted": {"type": "boolean"},
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["title", "status"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "errors": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "field": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI document."""
    return jsonify(document(current_app.config["DMZPUB_BASE_URL"]))
