#!/usr/bin/python3
"""The ONNX import through the command line, on models made here with
python3-onnx (make_models.py): every operator of the shape walk, weights
through Identity, no value_info, a value_info hint, symbolic batches, and
each bad input with its exact message.

usage: test_import.py CONVBENCH SOURCE_ROOT
"""
import collections
import configparser
import csv
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models  # noqa: E402

failures = 0
checks = 0


def check(condition, message):
    global failures, checks
    checks += 1
    if not condition:
        failures += 1
        print("FAILED:", message, file=sys.stderr)


def run(*args):
    return subprocess.run([CONVBENCH, *args], capture_output=True, text=True)


def layers_of_ini(text):
    """(name, tuple) of each layer of an INI config, repeats expanded"""
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    parser.read_string(text)
    batch = int(parser["network"]["batch"])
    layers = []
    for name in parser.sections():
        if name == "network":
            continue
        s = parser[name]

        def pair(key, default):
            v = s.get(key, default).split("x")
            return (int(v[0]), int(v[-1]))

        c, h, w = (int(v) for v in s["in"].split("x"))
        kh, kw = pair("kernel", "1")
        sh, sw = pair("stride", "1")
        pt, pl = pair("pad", "0")
        pb, pr = pair("pad_end", f"{pt}x{pl}")
        layer = (batch, c, h, w, int(s["out"]), kh, kw, sh, sw, pt, pl, pb, pr,
                 int(s.get("groups", "1")), s.get("bias", "false") == "true")
        for _ in range(int(s.get("repeat", "1"))):
            layers.append((name, layer))
    return layers


def totals(summary):
    return [line for line in summary.splitlines() if line.startswith("Total ")]


def test_good(directory):
    expected = collections.defaultdict(list)
    with open(os.path.join(directory, "expected.txt")) as f:
        for line in f:
            model, name, *values = line.split()
            v = [int(x) for x in values]
            expected[model].append((name, tuple(v[:-1]) + (bool(v[-1]),)))
    for model, layers in sorted(expected.items()):
        path = os.path.join(directory, model + ".onnx")
        batch = str(layers[0][1][0])
        out = run("--export-ini", "--batch", batch, path)
        check(out.returncode == 0, f"{model}: --export-ini exits {out.returncode}: {out.stderr}")
        if out.returncode:
            continue
        got = layers_of_ini(out.stdout)
        check(sorted(t for _, t in got) == sorted(t for _, t in layers),
              f"{model}: layers\n  got  {sorted(t for _, t in got)}\n"
              f"  want {sorted(t for _, t in layers)}")
        # names come from the nodes; identical layers carry the first's name
        names = {n for n, _ in layers}
        check({n for n, _ in got} <= names, f"{model}: names {[n for n, _ in got]} not in {names}")
        # the exported INI reads back to the same costs
        ini = os.path.join(WORK, model + ".ini")
        with open(ini, "w") as f:
            f.write(out.stdout)
        a, b = run("--summary", "--batch", batch, path), run("--summary", ini)
        check(a.returncode == 0 and b.returncode == 0 and totals(a.stdout) == totals(b.stdout)
              and totals(a.stdout), f"{model}: --summary of the model and of its export differ:"
              f"\n{a.stdout}{a.stderr}\n{b.stdout}{b.stderr}")
    print(f"{len(expected)} models import as ONNX's shape inference says, and export to INI "
          "with the same costs")


BAD = {
    "cycle": "node 'a' (Add): it is on a cycle: its inputs depend on its own output",
    "empty": "an empty file, not an ONNX model",
    "missing_tensor": "node 'conv' (Conv): its input 'nowhere' is not produced by any node, "
                      "nor an initializer or graph input",
    "negative_dim": "initializer 'w1': dimension 0 is -8, negative",
    "overflow_dims": "graph input 'x': its element count overflows 64 bits",
    "split_parts": "node 'split' (Split): more than 64 parts",
    "symbolic_height": "node 'conv' (Conv): the shape of its input 'x' is unknown: graph input "
                       "'x' has a symbolic dimension 'height' at axis 2 (only the batch, axis "
                       "0, may be symbolic)",
    "text": "not an ONNX model: protobuf-c cannot decode it as a ModelProto (truncated or not "
            "protobuf)",
    "truncated": "not an ONNX model: protobuf-c cannot decode it as a ModelProto (truncated or "
                 "not protobuf)",
    "unknown_operator": "node 'conv' (Conv): the shape of its input 't1' is unknown: operator "
                        "'Foo' of domain 'com.example' has no shape rule, at node 'Foo2' (Foo)",
    "weight_mismatch": "node 'conv' (Conv): its weight 'w' expects 3 input channels (3 per "
                       "group x 1 groups), its input 'x' has 5",
    "zero_channels": "node 'conv' (Conv): group 1, 0 input and 8 output channels, batch 1: "
                     "each must be at least 1",
}


def test_bad(directory):
    found = sorted(f[:-5] for f in os.listdir(directory) if f.endswith(".onnx"))
    check(found == sorted(BAD), f"bad models made {found}, messages for {sorted(BAD)}")
    for name, message in sorted(BAD.items()):
        path = os.path.join(directory, name + ".onnx")
        out = os.path.join(WORK, name + ".csv")
        for args in (["--summary"], ["-q", "-v", "naive", "-o", out]):
            r = run(*args, path)
            check(r.returncode == 2, f"{name} {args}: exit {r.returncode}, want 2")
            check(r.stderr.strip() == f"{path}: {message}",
                  f"{name}:\n  got  {r.stderr.strip()}\n  want {path}: {message}")
        check(not os.path.exists(out) and not os.path.exists(out[:-4] + ".meta"),
              f"{name}: a result was written")
    print(f"{len(BAD)} bad models refused with their messages, nothing written")


def test_run(directory):
    """A timed run of an asymmetric model: rows ok, pad_bottom/pad_right in the CSV."""
    out = os.path.join(WORK, "run.csv")
    r = run("-q", "--no-plot", "-t", "1", "-v", "naive,im2col-gemm", "--min-time", "0",
            "--reps", "1", "-o", out, os.path.join(directory, "auto_pad_SAME_UPPER.onnx"))
    check(r.returncode == 0, f"run: exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        rows = list(csv.DictReader(open(out)))
        check(len(rows) == 2 and all(row["status"] == "ok" for row in rows),
              f"run: rows {[(row['variant'], row['status']) for row in rows]}")
        check(all((row["pad_h"], row["pad_w"], row["pad_bottom"], row["pad_right"]) ==
                  ("0", "1", "1", "1") for row in rows), "run: padding columns")
    # the content decides: a model named .ini is still a model
    renamed = os.path.join(WORK, "model.ini")
    shutil.copy(os.path.join(directory, "op_Relu.onnx"), renamed)
    r = run("--summary", renamed)
    check(r.returncode == 0 and "1 layer" in r.stdout, f"a model named .ini: {r.stderr}")
    # the symbolic batch is named, and --batch sets it
    r = run("--summary", "--batch", "7", os.path.join(directory, "symbolic_batch.onnx"))
    check("Note: the symbolic batch dimension 'batch_size' is taken as 7 (--batch)" in r.stdout
          and "[7, 4, 6, 6]" in r.stdout, f"symbolic batch:\n{r.stdout}{r.stderr}")
    # a conv kind that is not measured, after an unknown operator: listed
    r = run("--summary", os.path.join(directory, "listed_after_unknown.onnx"))
    check(r.returncode == 0 and "Not benchmarked: 1 node" in r.stdout and
          "up                   ConvTranspose" in r.stdout, f"listed ConvTranspose:\n{r.stdout}"
          f"{r.stderr}")
    # a value_info hint stands in for an operator without a shape rule
    r = run("--summary", os.path.join(directory, "value_info_hint.onnx"))
    check(r.returncode == 0 and "[1, 8, 6, 6]" in r.stdout, f"value_info hint: {r.stderr}")


def main():
    global CONVBENCH, WORK
    CONVBENCH = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        WORK = work
        models = os.path.join(work, "models")
        subprocess.run([sys.executable, os.path.join(HERE, "make_models.py"), models], check=True)
        test_good(os.path.join(models, "good"))
        test_bad(os.path.join(models, "bad"))
        test_run(os.path.join(models, "good"))
    print(f"onnx import: {checks} checks, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
