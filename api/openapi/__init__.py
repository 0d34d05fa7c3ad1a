"""The API's OpenAPI 3.1 description (``/openapi.json``) and its rendering (``/docs``)."""
