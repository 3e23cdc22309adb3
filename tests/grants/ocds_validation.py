"""Offline OCDS validation for the tests: libcoveocds against the vendored standard zip, and jsonschema against
the vendored 1.1.5 schemas with every ``$ref`` resolved locally (../shared/standards/README.md)."""

import json
import tempfile
from pathlib import Path

import jsonschema
from libcoveocds.api import ocds_json_output
from libcoveocds.config import LibCoveOCDSConfig
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

import grants

STANDARD = Path(grants.__file__).parent / "standards" / "ocds-1.1.5"


def cove(package: dict) -> dict:
    """libcoveocds in API context, offline: the standard's zip is the vendored file (the standards README)."""
    config = LibCoveOCDSConfig()
    config.config["context"] = "api"
    config.config["standard_zip"] = (STANDARD / "standard-1__1__5.zip").resolve().as_uri()
    with tempfile.TemporaryDirectory() as output_dir:
        path = Path(output_dir) / "package.json"
        path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
        return ocds_json_output(output_dir, str(path), schema_version="1.1", convert=False,
                                lib_cove_ocds_config=config)


def cove_problems(package: dict) -> dict:
    result = cove(package)
    return {
        "validation_errors": result["validation_errors"],
        "additional_closed_codelist_values": result["additional_closed_codelist_values"],
        # libcoveocds leaves conformance_errors out when there are none.
        "ocds_prefixes_bad_format": result.get("conformance_errors", {}).get("ocds_prefixes_bad_format", []),
    }


def _schema(name: str) -> dict:
    return json.loads((STANDARD / name).read_text(encoding="utf-8"))


def registry() -> Registry:
    """Every vendored schema under the URL its ``id`` names (the ``$ref``s use those URLs); nothing is fetched."""
    resources = [(s["id"], Resource(contents=s, specification=DRAFT4)) for s in map(_schema, (
        "release-schema.json", "versioned-release-validation-schema.json", "release-package-schema.json",
        "record-package-schema.json"))]
    return Registry().with_resources(resources)


def schema_problems(package: dict, schema: str) -> list[str]:
    validator = jsonschema.Draft4Validator(_schema(schema), registry=registry(),
                                          format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(package))
