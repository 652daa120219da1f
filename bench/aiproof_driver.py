"""Run aiproof over a list of files: aiproof ships only `aiproof.check(source, path)`.

    python aiproof_driver.py FILE_LIST

FILE_LIST holds one path per line (the files promptlint checks, relative to the
current directory). Prints one JSON line: files checked, findings, files that
could not be read or made aiproof raise. Run it with the aiproof environment's
Python; bench_peers.py does.
"""

import json
import sys

import aiproof


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as fh:
        paths = [line.rstrip("\n") for line in fh if line.strip()]
    findings = errors = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as src:
                findings += len(aiproof.check(src.read(), path))
        except Exception:  # one bad file must not end the run
            errors += 1
    print(json.dumps({"files": len(paths), "findings": findings, "errors": errors}))


if __name__ == "__main__":
    main()
