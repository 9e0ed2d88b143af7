"""Fuzzing of the Keras file readers (.keras archives and legacy .h5 files), seeded with real Keras files.

Each input becomes a file that ``load_model`` reads; the only outcomes allowed are a model or a
ValueError (ModelFileError, or the error naming what fastmlp lacks). Anything else (another exception,
a crash, a hang, memory out of proportion) is a finding: the harness stops with a non-zero status and
writes the input to FUZZ_ARTIFACTS (default the working directory).

Inputs are structured, so that mutations reach past the archive's CRCs and HDF5's signatures: the first
byte picks a seed file (tests/fixtures/keras), the second how the rest is used: as the whole file, as
the archive's config.json, as its model.weights.h5 (re-zipped, so with a valid CRC), or as byte edits
(position, value) of the seed's weights or of the legacy .h5 file.

    python cpp/fuzz/fuzz_keras_readers.py -atheris_runs=100000     # coverage-guided, with atheris
    python cpp/fuzz/fuzz_keras_readers.py --plain --runs 40 --seed 0   # seeded random mutations, no atheris

The process limits its own address space (FUZZ_MEMORY_MB, default 3072; 0 for none, as under
AddressSanitizer), which the HDF5 probe's children inherit: an allocation out of proportion fails as
MemoryError, a finding.
"""

import io
import json
import os
import pathlib
import random
import resource
import sys
import tempfile
import zipfile

SEEDS_DIR = pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "keras"
SEEDS = sorted(p for p in SEEDS_DIR.glob("*") if p.suffix in (".keras", ".h5"))
WORK = pathlib.Path(tempfile.mkdtemp(prefix="fastmlp-keras-fuzz-"))


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _edited(data, edits):
    """``data`` with the byte edits (two bytes of position scale, one of value) that ``edits`` holds."""
    data = bytearray(data)
    for at in range(0, len(edits) - 2, 3):
        position = int.from_bytes(edits[at:at + 2], "little") * len(data) // 65536
        data[position] = edits[at + 2]
    return bytes(data)


def file_from_input(data):
    """The bytes of the file an input stands for."""
    if len(data) < 2:
        return data
    seed, mode, rest = SEEDS[data[0] % len(SEEDS)], data[1] % 5, data[2:]
    original = seed.read_bytes()
    if mode == 0:
        return rest
    if seed.suffix == ".h5" or mode == 4:
        return _edited(original, rest)
    members = _members(seed)
    if mode == 1:
        members["config.json"] = rest
    elif mode == 2:
        members["model.weights.h5"] = rest
    else:
        members["model.weights.h5"] = _edited(members["model.weights.h5"], rest)
    return _zip(members)


def one_input(data):
    import fastmlp
    path = WORK / "input"
    path.write_bytes(file_from_input(bytes(data)))
    try:
        fastmlp.models.load_model(path)
    except ValueError as error:
        str(error).encode("utf-8")  # the message must be valid text
    except FileNotFoundError:
        pass


def _report(data, error):
    artifact = pathlib.Path(os.environ.get("FUZZ_ARTIFACTS", ".")) / "keras-reader-finding"
    artifact.write_bytes(bytes(data))
    print(f"FINDING: {type(error).__name__}: {error}; input written to {artifact}", file=sys.stderr)


def _structured_mutation(rng):
    """A random input of the structured kind (plain mode): a seed, a mode and bytes derived from it."""
    seed_index, mode = rng.randrange(256), rng.randrange(5)
    seed = SEEDS[seed_index % len(SEEDS)]
    if mode == 1 and seed.suffix == ".keras":
        config = json.loads(_members(seed)["config.json"])
        text = json.dumps(config)
        hostile = ["1e999", "-1", "null", "[]", "{}", '"\\udcff"', "Infinity", "0", '{"class_name": "get"}',
                   "[[[[[[[[1]]]]]]]]"]
        for _ in range(rng.randint(1, 4)):  # replace a span of the JSON text with a hostile value
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice(hostile) + text[at + rng.randint(0, 8):]
        body = text.encode("utf-8", "surrogatepass")
    elif mode == 0:
        body = _edited(seed.read_bytes(), rng.randbytes(3 * rng.randint(1, 20)))
    else:
        body = rng.randbytes(3 * rng.randint(1, 20))
    return bytes([seed_index, mode]) + body


def main(argv):
    limit = int(os.environ.get("FUZZ_MEMORY_MB", "3072")) << 20
    if limit:  # 0: no limit (AddressSanitizer's shadow memory alone exceeds any such limit)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if "--plain" in argv:
        runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 100
        rng = random.Random(int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0)
        for _ in range(runs):
            data = _structured_mutation(rng)
            try:
                one_input(data)
            except Exception as error:  # noqa: BLE001 (any other exception is the finding)
                _report(data, error)
                return 1
        print(f"{runs} inputs, no findings")
        return 0
    import atheris

    with atheris.instrument_imports():
        import fastmlp  # noqa: F401
        import fastmlp._interop.keras_archive  # noqa: F401
        import fastmlp._interop.keras_h5  # noqa: F401
    atheris.Setup(argv, one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
