#!/usr/bin/env python3
"""Validate OCSF events (JSON Lines) against the official OCSF schema export.

The schema is the schema server's export of OCSF <version> as packaged by `ocsf-json-schema` (PyPI),
which turns a class plus the profiles an event names into a JSON Schema 2020-12 document: every
attribute the class (or a named profile) defines and nothing else (additionalProperties false), the
required attributes, the at_least_one / just_one constraints, dictionary types (ip_t, port_t,
timestamp_t, ...) with their ranges and patterns, and the enums of the class and dictionary. The
`jsonschema` package validates. On top of that, the checks the JSON Schema cannot express:
  - metadata.version is the version validated against;
  - every profile in metadata.profiles is one the class takes;
  - category_uid is the class's category, type_uid = class_uid * 100 + activity_id;
  - a *_name / caption sibling of an enum id (activity_name, severity, status, ...) is the
    caption the schema gives that id (id 99 "Other" may carry the source's own word).

Usage: ocsf_validate.py --version 1.3.0 [--list-valid] FILE... ; reads stdin when no file is named.
Prints one JSON object: {"total", "valid", "by_class": {uid: {"name", "total", "valid"}},
"first_invalid": null | {"file", "line", "class_uid", "errors": [..], "record"}}. Exit 0 when every
record is valid, 1 when one is not, 2 on a usage or input error.
"""

import argparse
import json
import sys

from jsonschema import Draft202012Validator, FormatChecker
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

CAPTION_SIBLINGS = {
    # id attribute -> its caption sibling, at the top level of an event
    "activity_id": "activity_name",
    "severity_id": "severity",
    "status_id": "status",
    "category_uid": "category_name",
    "class_uid": "class_name",
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", required=True)
    ap.add_argument("files", nargs="*")
    ap.add_argument("--max-errors", type=int, default=10)
    ap.add_argument("--list-valid", action="store_true", help="also list file:line of every valid record")
    args = ap.parse_args()

    raw = get_ocsf_schema(version=args.version)
    schema = OcsfJsonSchemaEmbedded(raw)
    classes_by_uid = {c["uid"]: c for c in raw["classes"].values()}
    validators: dict = {}

    def validator_for(class_name: str, profiles: tuple) -> Draft202012Validator:
        key = (class_name, profiles)
        if key not in validators:
            js = schema.get_class_schema(class_name=class_name, profiles=list(profiles))
            Draft202012Validator.check_schema(js)
            validators[key] = Draft202012Validator(js, format_checker=FormatChecker())
        return validators[key]

    total = valid = 0
    by_class: dict = {}
    first_invalid = None
    passed: list = []

    def check(event: dict) -> list:
        errors: list = []
        uid = event.get("class_uid")
        cls = classes_by_uid.get(uid)
        if cls is None:
            return [f"class_uid {uid!r} is not a class of OCSF {args.version}"]
        md = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
        profiles = md.get("profiles") or []
        if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
            return ["metadata.profiles is not a list of strings"]
        class_profiles = set(cls.get("profiles") or [])
        for p in profiles:
            if p not in class_profiles:
                errors.append(f"metadata.profiles names {p!r}, which class {cls['name']} ({uid}) does not take (it takes {sorted(class_profiles)})")
        v = validator_for(cls["name"], tuple(sorted(set(profiles) & class_profiles)))
        for e in sorted(v.iter_errors(event), key=lambda e: list(e.absolute_path)):
            path = "/".join(str(p) for p in e.absolute_path) or "(root)"
            errors.append(f"{path}: {e.message[:300]} [{e.validator}]")
            if len(errors) >= args.max_errors:
                return errors
        if md.get("version") != args.version:
            errors.append(f"metadata.version is {md.get('version')!r}, validating against {args.version}")
        if event.get("category_uid") != cls.get("category_uid"):
            errors.append(f"category_uid {event.get('category_uid')!r} is not {cls.get('category_uid')} of class {uid}")
        act = event.get("activity_id")
        if isinstance(act, int) and event.get("type_uid") != uid * 100 + act:
            errors.append(f"type_uid {event.get('type_uid')!r} is not class_uid*100+activity_id = {uid * 100 + act}")
        attrs = cls.get("attributes", {})
        for id_attr, name_attr in CAPTION_SIBLINGS.items():
            if name_attr not in event or id_attr not in event:
                continue
            enum = attrs.get(id_attr, {}).get("enum")
            if id_attr == "class_uid":
                want = cls.get("caption")
            elif id_attr == "category_uid":
                want = cls.get("category_name")
            elif enum is not None:
                if event[id_attr] == 99:
                    continue
                want = enum.get(str(event[id_attr]), {}).get("caption")
            else:
                continue
            if want is not None and event[name_attr] != want:
                errors.append(f"{name_attr} {event[name_attr]!r} is not the caption {want!r} of {id_attr} {event[id_attr]}")
        tn = event.get("type_name")
        if tn is not None and isinstance(act, int) and act != 99:
            cap = attrs.get("activity_id", {}).get("enum", {}).get(str(act), {}).get("caption")
            want = f"{cls.get('caption')}: {cap}"
            if cap and tn != want:
                errors.append(f"type_name {tn!r} is not {want!r}")
        return errors

    files = args.files or ["-"]
    for f in files:
        stream = sys.stdin if f == "-" else open(f, encoding="utf-8")
        with stream:
            for n, line in enumerate(stream, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    event = json.loads(line)
                except json.JSONDecodeError as e:
                    print(f"{f}:{n}: not JSON: {e}", file=sys.stderr)
                    return 2
                total += 1
                uid = event.get("class_uid") if isinstance(event, dict) else None
                cls = classes_by_uid.get(uid)
                entry = by_class.setdefault(str(uid), {"name": cls["caption"] if cls else None, "total": 0, "valid": 0})
                entry["total"] += 1
                errors = check(event) if isinstance(event, dict) else ["not a JSON object"]
                if errors:
                    if first_invalid is None:
                        first_invalid = {"file": f, "line": n, "class_uid": uid, "errors": errors, "record": event}
                else:
                    valid += 1
                    entry["valid"] += 1
                    if args.list_valid:
                        passed.append(f"{f}:{n}")
    report = {"version": args.version, "total": total, "valid": valid, "by_class": by_class, "first_invalid": first_invalid}
    if args.list_valid:
        report["passed"] = passed
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0 if valid == total else 1


if __name__ == "__main__":
    sys.exit(main())
