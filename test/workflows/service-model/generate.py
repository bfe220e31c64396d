#!/usr/bin/env python3
"""Regenerates service-model.json: what the AWS service models say about the operations aurora-audit's state
machines call — each operation's declared errors (error shape name and wire code) and its output shapes
(members, which are required). Read by ../service-model.test.ts (the ErrorEquals and result-path guard).

Source: the service models that ship with botocore (data/<service>/<version>/service-2.json[.gz]), the same
models the AWS SDKs are generated from. Run after upgrading botocore or when a workflow calls a new operation:

    python3 test/workflows/service-model/generate.py

The output is deterministic (sorted keys, no timestamps) so that a diff shows what changed.
"""
import glob
import gzip
import json
import os
import subprocess
import sys

import botocore

# Every (service, operation) a state machine calls, by botocore service name and API operation name. The guard
# fails on a Task whose operation is missing here: add it and run this script again.
OPERATIONS = {
    "rds": ["DescribeDBClusters", "DescribeDBInstances", "StartActivityStream", "StopActivityStream"],
    "kinesis": ["DescribeStreamSummary"],
    "lambda": [
        "Invoke",
        "ListEventSourceMappings",
        "CreateEventSourceMapping",
        "UpdateEventSourceMapping",
        "DeleteEventSourceMapping",
    ],
    "dynamodb": ["PutItem", "DeleteItem", "GetItem", "UpdateItem"],
    "rds-data": ["ExecuteStatement"],
    "sns": ["Publish"],
    "athena": ["StartQueryExecution", "GetQueryExecution"],
    "stepfunctions": ["StartExecution"],
    "cloudwatch": ["PutMetricData"],
    "s3": ["PutObject"],
}

# Where Step Functions names a service otherwise than botocore (`arn:aws:states:::aws-sdk:rdsdata:…`, after the
# AWS SDK for Java v2's client, for botocore's `rds-data`; `aws-sdk:sfn:…` for botocore's `stepfunctions`): the
# table is keyed by the Step Functions name.
STEP_FUNCTIONS_NAMES = {"rds-data": "rdsdata", "stepfunctions": "sfn"}

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "service-model.json")


def load_model(service):
    data = os.path.join(os.path.dirname(botocore.__file__), "data", service)
    version = sorted(os.listdir(data))[-1]
    for name in ("service-2.json", "service-2.json.gz"):
        path = os.path.join(data, version, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as f:
                return version, json.load(f)
    sys.exit(f"no service-2.json for {service} under {data}/{version}")


def shape_closure(model, root):
    """The shapes reachable from `root`, each reduced to what a path check needs."""
    shapes, queue = {}, [root]
    while queue:
        name = queue.pop()
        if name in shapes:
            continue
        shape = model["shapes"][name]
        kind = shape["type"]
        entry = {"type": kind}
        if kind == "structure":
            entry["members"] = {m: spec["shape"] for m, spec in sorted(shape.get("members", {}).items())}
            entry["required"] = sorted(shape.get("required", []))
            queue.extend(entry["members"].values())
        elif kind == "list":
            entry["member"] = shape["member"]["shape"]
            queue.append(entry["member"])
        elif kind == "map":
            entry["value"] = shape["value"]["shape"]
            queue.append(entry["value"])
        shapes[name] = entry
    return dict(sorted(shapes.items()))


def main():
    table = {
        "source": f"botocore {botocore.__version__} service models",
        "generator": "test/workflows/service-model/generate.py",
        "services": {},
    }
    for service, operations in sorted(OPERATIONS.items()):
        version, model = load_model(service)
        meta = model["metadata"]
        entry = {
            "apiVersion": version,
            "serviceId": meta.get("serviceId"),
            "protocol": meta.get("protocol"),
            "operations": {},
        }
        for op_name in operations:
            op = model["operations"][op_name]
            errors = []
            for ref in op.get("errors", []):
                shape = model["shapes"][ref["shape"]]
                code = shape.get("error", {}).get("code", ref["shape"])
                errors.append({"shape": ref["shape"], "code": code})
            output = op.get("output", {}).get("shape")
            entry["operations"][op_name] = {
                "errors": sorted(errors, key=lambda e: e["shape"]),
                "output": output,
                "shapes": shape_closure(model, output) if output else {},
            }
        entry["botocoreName"] = service
        table["services"][STEP_FUNCTIONS_NAMES.get(service, service)] = entry
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(table, f, indent=1, sort_keys=False)
        f.write("\n")
    # The project's formatter (biome) lays JSON out its own way; format here so that `npm run lint` and a
    # regenerated table agree byte for byte.
    root = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
    try:
        subprocess.run(["npx", "biome", "format", "--write", OUT], cwd=root, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"warning: could not format with biome ({e}); run `npm run format`", file=sys.stderr)
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
