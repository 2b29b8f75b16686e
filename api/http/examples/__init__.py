"""Hand-written OpenAPI examples, one module per audience, each with an `EXAMPLES` mapping by operation id.

Examples are written by people for people (Indonesian course titles, real rupiah amounts, codes in the real
format); nothing here is generated. `api/http/openapi.py` attaches them to the document, and the spec lint in
the test suite checks that every operation has one and that each validates against its schema.
"""
