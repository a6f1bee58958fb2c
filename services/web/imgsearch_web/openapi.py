"""The JSON API described in OpenAPI 3.1, served at /api/openapi.json (tests keep it true to the routes)."""

from __future__ import annotations

from typing import Any

from imgsearch.models import ORIENTATIONS, Status

NULLABLE_STRING = {"type": ["string", "null"]}
DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
IMAGE_ID = {"name": "image_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


# Every operation may answer these.
COMMON = {
    "400": _error("Bad input (the message says what)"),
    "401": _error("No valid credentials: sign in, or send Authorization: Bearer TOKEN"),
    "403": _error("An unsafe request from another site, or without the session's CSRF token"),
    "429": {
        **_error("Too many requests, or the daily upload quota is used up"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
    "503": _error("A back end is not answering; try again"),
}
NOT_FOUND = {"404": _error("No such image (or it is another account's)")}

IMAGE = {
    "type": "object",
    "required": [
        "id",
        "filename",
        "status",
        "content_type",
        "width",
        "height",
        "thumbnail_url",
        "original_url",
    ],
    "properties": {
        "id": {"type": "string"},
        "filename": {"type": "string"},
        "status": {"enum": [s.value for s in Status]},
        "error": NULLABLE_STRING,
        "content_type": {"type": "string"},
        "size_bytes": {"type": "integer"},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "orientation": {"enum": list(ORIENTATIONS)},
        "description": NULLABLE_STRING,
        "details": {"type": "object"},
        "taken_at": {"type": ["string", "null"]},
        "created_at": DATE_TIME,
        "indexed_at": DATE_TIME,
        "camera": NULLABLE_STRING,
        "people": {"type": ["integer", "null"]},
        "has_text": {"type": "boolean"},
        "labels": {"type": "array", "items": {"type": "string"}},
        "colours": {"type": "array", "items": {"type": "string"}},
        "duplicate_group": NULLABLE_STRING,
        "thumbnail_url": {"type": "string"},
        "original_url": {"type": "string"},
    },
}
RESULT = {
    "type": "object",
    "required": ["id", "filename", "score", "snippet", "thumbnail_url", "original_url"],
    "properties": {
        "id": {"type": "string"},
        "filename": {"type": "string"},
        "score": {"type": ["number", "null"]},
        "snippet": {"type": "string"},
        "description": NULLABLE_STRING,
        "content_type": {"type": "string"},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "taken_at": {"type": ["string", "null"]},
        "created_at": DATE_TIME,
        "thumbnail_url": {"type": "string"},
        "original_url": {"type": "string"},
    },
}
FILE_OUTCOME = {
    "type": "object",
    "required": ["filename", "status", "created"],
    "properties": {
        "filename": {"type": "string"},
        "status": {"enum": ["rejected", *(s.value for s in Status)]},
        "created": {"type": "boolean"},
        "id": {"type": "string"},
        "error": {"type": "string"},
    },
}
UPLOAD_FORM = {
    "type": "object",
    "required": ["filename"],
    "properties": {
        "filename": {"type": "string"},
        "key": {"type": "string"},
        "url": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "error": {"type": "string"},
    },
}
SEARCH_PAGE = {
    "type": "object",
    "required": ["query", "understood", "total", "hidden", "page", "per_page", "pages", "results"],
    "properties": {
        "query": {"type": "string"},
        "understood": {"type": "object"},
        "total": {"type": "integer"},
        "hidden": {"type": "integer"},
        "page": {"type": "integer"},
        "per_page": {"type": "integer"},
        "pages": {"type": "integer"},
        "results": {"type": "array", "items": _ref("SearchResult")},
    },
}
IMAGES = {"type": "array", "items": _ref("Image")}
FILTERS = [
    _query("from", {"type": "string"}, "taken on or after: 2023, 2023-05, 2023-05-14"),
    _query("to", {"type": "string"}, "taken on or before (inclusive)"),
    _query("camera", {"type": "string"}, "part of the camera's name"),
    _query("text", {"enum": ["yes", "no"]}, "with (or without) visible text"),
    _query("people", {"type": "string"}, "how many people: 0, 2, 3+ or 2-4"),
    _query("orientation", {"enum": list(ORIENTATIONS)}, "landscape, portrait or square"),
    _query("colour", {"type": "string"}, "a main colour"),
    _query("label", {"type": "string"}, "something the describer saw"),
]


IDS_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["ids"],
                "properties": {
                    "ids": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 200}
                },
            }
        }
    },
}
REFUSED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "error"],
        "properties": {"id": {"type": "string"}, "error": {"type": "string"}},
    },
}
MISSING = {"type": "array", "items": {"type": "string"}}


def _operation(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, **extra, "responses": {**responses, **COMMON}}


def describe(server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the JSON API."""
    image = _json(_ref("Image"), "The photo")
    queued = {"200": image, "202": _json(_ref("Image"), "Queued; its status is pending"), **NOT_FOUND}
    conflict = {"409": _error("The photo is not in a state that allows this")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "imgsearch",
            "version": "1",
            "description": "Search your photos by what is in them. Every call works on the signed-in "
            "account's own photos: another account's photo answers 404, as a missing one does.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/images": {
                "get": _operation(
                    "List photos, newest first (or the ones named by ids)",
                    {"200": _json(_ref("ImageList"), "A page of photos")},
                    parameters=[
                        _query("page", {"type": "integer", "minimum": 1}, "page number"),
                        _query(
                            "per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "photos a page"
                        ),
                        _query("status", {"enum": [s.value for s in Status]}, "only photos in this state"),
                        _query("ids", {"type": "string"}, "comma-separated ids (at most 200)"),
                        _query(
                            "keys",
                            {"type": "string"},
                            "comma-separated storage keys of cloud uploads (at most 200); each photo "
                            "found comes with its key",
                        ),
                    ],
                ),
                "post": _operation(
                    "Upload photos (multipart, field files, many at once), processed in the background",
                    {
                        "201": _json(_ref("Uploaded"), "Every file was accepted"),
                        "207": _json(_ref("Uploaded"), "Some files were accepted"),
                        "409": _error("Cloud mode: ask POST /api/uploads for a form per file"),
                        "413": _error("The request is too large, or has too many parts"),
                    },
                    requestBody={
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "files": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                ),
            },
            "/api/images/{image_id}": {
                "parameters": [IMAGE_ID],
                "get": _operation("One photo", {"200": image, **NOT_FOUND}),
                "delete": _operation(
                    "Delete a photo, its files and its vectors",
                    {"204": {"description": "Deleted"}, **NOT_FOUND},
                ),
            },
            "/api/images/delete": {
                "post": _operation(
                    "Delete several photos, their files and their vectors",
                    {"200": _json(_ref("BulkDeleted"), "What was deleted, and the ids not found")},
                    requestBody=IDS_BODY,
                ),
            },
            "/api/images/redescribe": {
                "post": _operation(
                    "Describe several photos again with the current describer",
                    {
                        "200": _json(_ref("BulkQueued"), "Nothing was queued (done at once, or refused)"),
                        "202": _json(_ref("BulkQueued"), "Some were queued; their status is pending"),
                    },
                    requestBody=IDS_BODY,
                ),
            },
            "/api/library": {
                "get": _operation(
                    "How many photos there are, by status",
                    {"200": _json(_ref("LibraryCounts"), "The counts")},
                ),
            },
            "/api/images/{image_id}/retry": {
                "parameters": [IMAGE_ID],
                "post": _operation("Process a failed or stuck photo again", {**queued, **conflict}),
            },
            "/api/images/{image_id}/redescribe": {
                "parameters": [IMAGE_ID],
                "post": _operation(
                    "Describe a photo again with the current describer", {**queued, **conflict}
                ),
            },
            "/api/images/{image_id}/similar": {
                "parameters": [IMAGE_ID],
                "get": _operation(
                    "Photos that look like this one, most alike first",
                    {"200": _json(_ref("Similar"), "Similar photos"), **NOT_FOUND},
                    parameters=[
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "at most")
                    ],
                ),
            },
            "/api/images/{image_id}/duplicates": {
                "parameters": [IMAGE_ID],
                "get": _operation(
                    "The photo's near-duplicates",
                    {"200": _json(_ref("Duplicates"), "Its near-duplicates"), **NOT_FOUND},
                ),
            },
            "/api/duplicates": {
                "get": _operation(
                    "Every group of near-duplicate photos, largest first",
                    {"200": _json(_ref("DuplicateGroups"), "The groups")},
                ),
            },
            "/api/search": {
                "get": _operation(
                    "Photos that answer a free-text query and/or filters, best first",
                    {"200": _json(_ref("SearchPage"), "A page of results and what was understood")},
                    parameters=[
                        _query("q", {"type": "string"}, "what the photo shows; quoted phrases must appear"),
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "results a page"),
                        _query("page", {"type": "integer", "minimum": 1, "maximum": 1000}, "page number"),
                        _query("sort", {"enum": ["relevance", "date"]}, "order"),
                        _query("all", {"type": "string"}, "1: also the results below the cut-off"),
                        *FILTERS,
                    ],
                ),
            },
            "/api/uploads": {
                "post": _operation(
                    "Presigned S3 POST forms, one per file, for uploads straight to S3 (cloud mode only)",
                    {
                        "200": _json(_ref("UploadForms"), "A form (or the reason it cannot go) per file"),
                        "404": _error("Local mode: POST the files to /api/images"),
                    },
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["files"],
                                    "properties": {
                                        "files": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "filename": {"type": "string"},
                                                    "size": {"type": "integer"},
                                                    "type": {"type": "string"},
                                                },
                                            },
                                        }
                                    },
                                }
                            }
                        },
                    },
                ),
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "The OpenAPI document")},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "imgsearch token create NAME"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "imgsearch_session",
                    "description": "The signed-in browser's cookie; unsafe requests also send X-CSRF-Token",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
                "Image": IMAGE,
                "ImageList": {
                    "type": "object",
                    "required": ["images", "total"],
                    "properties": {
                        "images": IMAGES,
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "per_page": {"type": "integer"},
                        "missing": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Uploaded": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": _ref("FileOutcome")},
                        "error": {"type": "string"},
                    },
                },
                "FileOutcome": FILE_OUTCOME,
                "SearchResult": RESULT,
                "SearchPage": SEARCH_PAGE,
                "Similar": {
                    "type": "object",
                    "required": ["id", "results"],
                    "properties": {
                        "id": {"type": "string"},
                        "results": {"type": "array", "items": _ref("SearchResult")},
                    },
                },
                "Duplicates": {
                    "type": "object",
                    "required": ["id", "duplicates"],
                    "properties": {"id": {"type": "string"}, "duplicates": IMAGES},
                },
                "DuplicateGroups": {
                    "type": "object",
                    "required": ["groups"],
                    "properties": {"groups": {"type": "array", "items": IMAGES}},
                },
                "BulkDeleted": {
                    "type": "object",
                    "required": ["deleted", "refused", "missing"],
                    "properties": {"deleted": IMAGES, "refused": REFUSED, "missing": MISSING},
                },
                "BulkQueued": {
                    "type": "object",
                    "required": ["images", "refused", "missing"],
                    "properties": {"images": IMAGES, "refused": REFUSED, "missing": MISSING},
                },
                "LibraryCounts": {
                    "type": "object",
                    "required": ["photos", *(s.value for s in Status)],
                    "properties": {
                        name: {"type": "integer"} for name in ["photos", *(s.value for s in Status)]
                    },
                },
                "UploadForms": {
                    "type": "object",
                    "required": ["uploads"],
                    "properties": {
                        "uploads": {"type": "array", "items": UPLOAD_FORM},
                        "error": {"type": "string"},
                    },
                },
            },
        },
    }
