# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints the Authorization header AWS's own signer (botocore, as the aws CLI ships it) computes
for each request of a JSON file, one per line, for tests/backup/test_backup_s3.cpp.

Each request is {"method", "path", "query", "headers", "body_hex", "timestamp", "access_key",
"secret_key", "token", "region"} as the test server received it. The path and query are
decoded and encoded again the way botocore encodes S3 keys and parameters, and the payload hash,
date and token headers are botocore's own: so a request whose URL is not in SigV4's canonical
form, or whose x-amz-content-sha256 is not its body's hash, gets another signature.
"""

import json
import sys
from urllib.parse import parse_qsl, quote, unquote

import awscli  # noqa: F401 (makes the botocore inside the aws CLI importable as botocore)
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def authorization(request):
    credentials = Credentials(request["access_key"], request["secret_key"], request["token"] or None)
    path = quote(unquote(request["path"]), safe="/~")
    headers = dict(request["headers"])
    aws_request = AWSRequest(
        method=request["method"],
        url="http://" + headers["host"] + path,
        headers=headers,
        data=bytes.fromhex(request["body_hex"]),
        params=dict(parse_qsl(request["query"], keep_blank_values=True)),
    )
    signer = S3SigV4Auth(credentials, "s3", request["region"])
    aws_request.context["timestamp"] = request["timestamp"]
    signer._modify_request_before_signing(aws_request)
    canonical_request = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical_request)
    signer._inject_signature_to_request(aws_request, signer.signature(string_to_sign, aws_request))
    return aws_request.headers["Authorization"]


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        for request in json.load(file):
            print(authorization(request))


if __name__ == "__main__":
    main()
