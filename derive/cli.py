"""The `derive` command: a thin shell over the library. Exit 0 ok, 1 a check failed, 2 usage.

Each subcommand is one function (`set_defaults(run=…)`) that calls the library and prints what it
returns; `main` maps exceptions to exit codes in one place: DeriveError (derive could not do it)
exits 1 with its message, ValueError and OSError (bad arguments or input) exit 2, never a
traceback. The library loads only when a command runs, so `derive --help` stays fast.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .errors import DeriveError
from .problems import PROBLEMS, get

EPILOG = """examples:
  derive build                         the main job: derive, verify, export kernels, typeset
                                       handouts into output/ (PDFs when TeX is installed)
  derive list                          the problems derive knows
  derive show naive-softmax            the derivation, step by step, with each rule
  derive show naive-softmax --format latex > grads.tex
  derive show naive-softmax --code     the NumPy kernel generated from the derivation
  derive export -o kernels.py          the kernels as a standalone NumPy module
  derive verify                        every gradient against finite differences
  derive handout --solutions -o out    the solutions handout only, in out/
  derive check-steps my_answer.tex     is every '=' of a written derivation true?
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derive",
        description="Derive, verify and typeset the gradients of word2vec losses. Every "
                    "gradient is derived by SymPy from the loss itself, and every step is "
                    "checked numerically.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lister = sub.add_parser(
        "list", help="list the problems derive knows",
        description="List the problems derive knows, one a line; --questions lists the "
                    "handout's questions instead, id first (the ids a course spec uses).",
        epilog="examples:\n  derive list\n  derive list --questions",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    lister.add_argument("--questions", action="store_true",
                        help="the handout's questions: id, points, problem, title")
    lister.set_defaults(run=_list)

    show = sub.add_parser(
        "show", help="show a problem's derivation, step by step",
        description="Derive a problem's gradients from its loss and print every step with the rule "
                    "that gave it (definition, chain rule, softmax definition, …) and the matrix "
                    "forms it ends in. Each step is checked numerically before it is printed.",
        epilog="examples:\n  derive show naive-softmax\n  derive show naive-softmax --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    show.add_argument("problem", metavar="PROBLEM",
                      help="a name from `derive list`, or a loss file (LOSS.tex)")
    show.add_argument("--wrt", default=None, metavar="X,Y",
                      help="a loss file's variables to differentiate by (default: every declared "
                           "vector and matrix the loss depends on)")
    show.add_argument("--format", choices=("text", "latex", "json"), default="text",
                      help="text for reading (default), latex for a handout, json for tools")
    show.add_argument("--code", action="store_true",
                      help="print the NumPy kernel generated from the derivation instead")
    show.set_defaults(run=_show)

    export = sub.add_parser(
        "export", help="write the generated kernels as a standalone NumPy module",
        description="Write the kernels generated from the derivations to one Python file that "
                    "imports only NumPy: naive_softmax(v_c, o, U) and naive_softmax_batch(V_c, o, "
                    "U), U as rows (V, d). The file is written atomically.",
        epilog="examples:\n  derive export\n  derive export -o my_kernels.py\n"
               "  derive export my_loss.tex -o my_loss.py --backend jax",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("loss", nargs="?", default=None, metavar="LOSS.tex",
                        help="a loss file: write its kernel, loss_and_gradients(values), instead")
    export.add_argument("-o", "--output", default=None, metavar="FILE",
                        help="where to write (default: output/kernels.py, or output/LOSS.py for "
                             "a loss file)")
    export.add_argument("--wrt", default=None, metavar="X,Y",
                        help="a loss file's variables to differentiate by (default: all)")
    export.add_argument("--backend", choices=("numpy", "jax"), default="numpy",
                        help="numpy (default) or jax: the module imports that alone")
    export.add_argument("--batch", default=None, metavar="X,Y",
                        help="a loss file's per-sample inputs (v_c,o): the kernel takes them "
                             "stacked, rows (B, …) and indices (B,), and sums the loss over B")
    export.set_defaults(run=_export)

    verify = sub.add_parser(
        "verify", help="check every gradient against finite differences",
        description="Check, for each problem, the derived expressions, the generated kernels "
                    "(single and batched) and every step of the derivation trace against central "
                    "finite differences of the loss. coordinate mode checks every entry (course "
                    "step 1e-4, tolerance 1e-5); directional mode checks a few random directions "
                    "at any size; auto uses coordinate while that costs under 1e7 "
                    "multiply-adds. float32 kernels are compared with float64 differences "
                    "under a tolerance that grows with rounding. --against FILE checks your own "
                    "word2vec.py the same way and names the likely cause of a wrong gradient. "
                    "Exit 0 when all pass, 1 when any fails, 2 when the input cannot be used "
                    "(with --against: a file that does not import or defines none of the "
                    "course's functions).",
        epilog="examples:\n  derive verify\n  derive verify --against my/word2vec.py"
               "\n  derive verify --against my/word2vec.py naive-softmax"
               "\n  derive verify --against my/word2vec.py --function skipgram --seed 3"
               "\n  derive verify --vocab 50000 --dim 300 --dtype float32"
               "\n  derive verify --seed 7 --json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("problems", nargs="*", metavar="PROBLEM",
                        help="names from `derive list` (default: all)")
    verify.add_argument("--vocab", type=int, default=20, metavar="V", help="vocabulary size (20)")
    verify.add_argument("--dim", type=int, default=5, metavar="d", help="vector dimension (5)")
    verify.add_argument("--batch", type=int, default=3, metavar="B", help="batch size (3)")
    verify.add_argument("--dtype", choices=("float32", "float64"), default="float64",
                        help="dtype of the kernels under test (float64)")
    verify.add_argument("--seed", type=int, default=None,
                        help="random seed for the points (default: a fresh one, printed)")
    verify.add_argument("--mode", choices=("coordinate", "directional", "auto"), default="auto",
                        help="finite-difference mode (auto)")
    verify.add_argument("--json", action="store_true", help="print the checks as JSON")
    verify.add_argument("--against", metavar="FILE", default=None,
                        help="check your own word2vec.py instead: its sigmoid, "
                             "naiveSoftmaxLossAndGradient, negSamplingLossAndGradient and "
                             "skipgram, with the course's signatures, against finite "
                             "differences and derive's own; a verdict for each (PROBLEM names, "
                             "e.g. naive-softmax, or --function pick some). This RUNS the file's "
                             "code, in a child process with a time and memory limit per call.")
    verify.add_argument("--function", metavar="NAME", action="append", default=None,
                        help="with --against: check only this function (sigmoid, "
                             "naiveSoftmaxLossAndGradient, negSamplingLossAndGradient or "
                             "skipgram; repeatable)")
    verify.set_defaults(run=_verify)

    build = sub.add_parser(
        "build", help="the main job: derive, verify, export kernels, typeset both handouts",
        description="Derive every problem (each step checked numerically), verify every gradient "
                    "against finite differences, then write to the output folder: kernels.py, "
                    "verification.json, questions.tex and solutions.tex, and questions.pdf and "
                    "solutions.pdf when a TeX engine is installed. Nothing is written unless "
                    "everything succeeds; files are replaced atomically. "
                    "Exit 0 built, 1 a check or TeX failed, 2 a usage error.",
        epilog="examples:\n  derive build\n  derive build -o handouts --no-pdf"
               "\n  derive build --spec course.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("-o", "--output", default="output", metavar="DIR",
                       help="output folder (default: output)")
    _pdf_flags(build)
    _spec_flag(build)
    build.set_defaults(run=_build)

    hand = sub.add_parser(
        "handout", help="typeset the question and/or solution handout",
        description="Render the handouts from the templates: each question with its points "
                    "and answer box; solutions with the derivation in rubric Parts, every step "
                    "verified and justified. Title and course are printed literally (LaTeX "
                    "specials escaped). --templates DIR overrides our templates file by file "
                    "(questions.tex.j2, solutions.tex.j2, preamble.tex.j2, header.tex.j2), "
                    "rendered in a sandbox. TeX runs without shell escape, reading only its "
                    "own folder.",
        epilog="examples:\n  derive handout\n  derive handout --solutions --no-pdf -o tex"
               "\n  derive handout --title 'Problem set 2' --course 'NLP (Fall)'"
               "\n  derive handout --spec course.toml --one-per-page"
               "\n  derive handout --questions --answers answers.tex --check --mark",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    which = hand.add_mutually_exclusive_group()
    which.add_argument("--questions", dest="kinds", action="store_const", const=("questions",),
                       help="the questions handout only")
    which.add_argument("--solutions", dest="kinds", action="store_const", const=("solutions",),
                       help="the solutions handout only")
    which.add_argument("--both", dest="kinds", action="store_const",
                       const=("questions", "solutions"), help="both (default)")
    hand.add_argument("-o", "--output", default="output", metavar="DIR",
                      help="output folder (default: output)")
    _pdf_flags(hand)
    hand.add_argument("--templates", metavar="DIR", default=None,
                      help="a folder of templates overriding ours (sandboxed)")
    hand.add_argument("--title", default=None, metavar="TEXT", help="the handout title")
    hand.add_argument("--course", default=None, metavar="TEXT", help="the course name")
    _spec_flag(hand)
    hand.add_argument("--one-per-page", action="store_true",
                      help="each question on its own page(s) after a cover page: question k "
                           "starts page k + 1 "
                           "(for grading tools that assign pages to questions)")
    hand.add_argument("--answers", metavar="FILE", default=None,
                      help="typeset a student's answers, \\begin{answer}{b} … \\end{answer} "
                           "blocks, in their questions' boxes (untrusted: file access, macro "
                           "definitions and catcode changes are refused, exit 2)")
    hand.add_argument("--check", action="store_true",
                      help="with --answers: check every step of every answer (check-steps) and "
                           "print the verdicts; exit 1 when one fails, the handout still written")
    hand.add_argument("--mark", action="store_true",
                      help="with --check: also print each step's verdict beside its box")
    hand.set_defaults(run=_build)
    _check_steps_parser(sub)
    return parser


CHECK_STEPS_EPILOG = """examples:
  derive check-steps answer.tex
  derive check-steps answers.ipynb --problem naive-softmax
  derive check-steps scan.md --alias uw=u_w --alias u_0=u_o --alias '\\dot{y}=\\hat{y}'
  derive check-steps answer.tex --layout numerator --json
  cat answer.tex | derive check-steps -

what it reads: displays ($$…$$, \\[…\\], align, equation, eqnarray, gather, multline, aligned,
split), a $…$ in the prose that states a derivative or stands on a line of its own, Markdown
(blockquotes too) and a notebook's Markdown cells. Names as in the handouts, bold or plain,
Unicode or LaTeX: u_w, u_o, v_c, U,
\\hat{y}, y, U_{j,w}, (v_c)_j, \\sigma, σ'(x), exp/log (with or without a backslash),
\\sum_{x \\in V} (any letter), \\sum_{k=1}^K, u_{w_s}, \\frac{\\partial}{\\partial v_c}, ∂J/∂U,
\\frac{d}{dx}, P(O = w | C = c), P(o|c), ∂J/∂u_{w ≠ o}, n_w, \\circ. Spacing and sizing (\\, \\quad
\\big( \\left. \\tag{…}) are skipped anywhere. Macros are expanded: the course template's (\\bu,
\\bv, \\bU, …) and the file's \\newcommand, \\def, \\DeclareMathOperator, with limits.
A first line J(…) = … defines J; a J the file does not define is the loss of --problem NAME, or of
the problem a J_{naive-softmax} / J_{neg-sample} in the text names. A case ($w = o$) written
just before a display, or in a Markdown heading, holds for it. Labels (1), \\textcircled{2} and
notes \\text{(chain rule)} are skipped; "Solving ③ = …" starts from what ③ labelled.

how it judges: a formula it cannot read is reported "not read" (line, column, reason) and the
other steps are still judged; a side after an unread one is compared with the first side of its
chain. A line after ∂J/∂x is compared with the true gradient too: "this is the right gradient;
the step before it is not an equality".

exit status: 0 every step was judged and holds; 1 a step does not hold; 3 nothing failed, but a
step could not be read or checked, or no step was found (not a pass); 2 the input cannot be used
(not UTF-8, too long, \\input, \\write18, …). With --json an error is a JSON object too."""


def _check_steps_parser(sub: Any) -> None:
    cmd = sub.add_parser(
        "check-steps", help="check every '=' of a written derivation",
        description="Read a derivation written in LaTeX and say, for every '=', whether it "
                    "holds: both sides are evaluated at several sizes, for every free word index "
                    "and at random points (in floating point, and exactly with SymPy wherever "
                    "rounding could matter), and compared in value and shape. "
                    "Nothing in the file is executed.",
        epilog=CHECK_STEPS_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmd.add_argument("file", metavar="FILE", help="a .tex or .md file, or - for standard input")
    cmd.add_argument("--alias", action="append", default=[], metavar="NAME=NAME",
                     help="read NAME as another name, e.g. uw=u_w, u_0=u_o or 0=o for an index "
                          "(repeatable)")
    cmd.add_argument("--layout", choices=("denominator", "numerator"), default="denominator",
                     help="shape of a derivative: denominator (the course's: ∂J/∂v_c has the "
                          "shape of v_c; default) or numerator (transposed)")
    cmd.add_argument("--problem", metavar="NAME", default=None,
                     help="the problem whose loss a J the file does not define is (derive list "
                          "shows the names), or a loss file LOSS.tex written in the handout's "
                          "objects; default: from J_{naive-softmax}, J_{neg-sample}, … in the "
                          "text")
    cmd.add_argument("--json", action="store_true", help="one JSON object per step")
    cmd.set_defaults(run=_check_steps)


def _check_steps(args: argparse.Namespace) -> int:
    from . import steps

    name = "standard input" if args.file == "-" else args.file
    problem, loss = args.problem, None
    if problem is not None and problem.endswith(".tex"):  # a loss file, read as data
        from .steps.lossfile import file_loss

        try:
            loss, problem = file_loss(_read_text(problem), Path(problem).name), None
        except steps.ReadError as exc:
            where = f"{args.problem}:{exc.line}:{exc.col}: " if exc.line else f"{args.problem}: "
            return _unusable(args, f"{where}{exc.message}", exc.line, exc.col)
        except (OSError, ValueError) as exc:
            return _unusable(args, f"{args.problem}: {_reason(exc)}")
    try:
        text = _read_text(args.file)
        report = steps.check_text(text, aliases=args.alias, layout=args.layout,
                                  problem=problem, loss=loss)
    except steps.ReadError as exc:
        where = f"{name}:{exc.line}:{exc.col}: " if exc.line else f"{name}: "
        return _unusable(args, f"{where}{exc.message}", exc.line, exc.col)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        return _unusable(args, f"{name}: {_reason(exc)}")
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(report.table())
    return report.exit_status


def _unusable(args: argparse.Namespace, message: str, line: int = 0, col: int = 0) -> int:
    """Input check-steps cannot use: exit 2, the reason on stderr (and as JSON with --json)."""
    if args.json:
        print(json.dumps({"error": message, "line": line or None, "column": col or None,
                          "exit_status": 2}, ensure_ascii=False))
    print(f"derive check-steps: {message}", file=sys.stderr)
    return 2


def _read_text(path: str) -> str:
    """The file's text; a file too large to be a derivation is refused before it is read."""
    from .steps.lexer import MAX_CHARS

    if path == "-":  # bytes, decoded strictly: text that is not UTF-8 is refused, not guessed
        raw = getattr(sys.stdin, "buffer", None)
        text = (raw.read(4 * MAX_CHARS + 4).decode("utf-8") if raw is not None
                else sys.stdin.read(MAX_CHARS + 1))[:MAX_CHARS + 1]
    else:
        with open(path, encoding="utf-8") as stream:
            text = stream.read(MAX_CHARS + 1)
    if len(text) > MAX_CHARS:
        raise ValueError(f"more than {MAX_CHARS:,} characters; a derivation is not this long")
    return text


def _spec_flag(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--spec", metavar="FILE", default=None,
                     help="a course spec (TOML): title, course and [[questions]], each an id "
                          "from `derive list --questions` with its points, in the handout's "
                          "order (README: Course specs)")


def _pdf_flags(cmd: argparse.ArgumentParser) -> None:
    group = cmd.add_mutually_exclusive_group()
    group.add_argument("--pdf", dest="pdf", action="store_const", const=True, default=None,
                       help="compile PDFs; fail if no TeX engine (default: when TeX is installed)")
    group.add_argument("--no-pdf", dest="pdf", action="store_const", const=False,
                       help="write the .tex files only")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except DeriveError as exc:
        print(f"derive {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `derive list | head` closed the pipe: the reader has what it wanted, so no message;
        # stdout goes to devnull so that the flush at exit cannot fail again. Not 0: the output
        # was not all delivered.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, OSError) as exc:
        print(f"derive {args.command}: {_reason(exc)}", file=sys.stderr)
        return 2


def run() -> NoReturn:
    """The `derive` program: `main` in a process that ends as soon as its output is out.

    Tests call `main`; the console script and `python -m derive` call this. A SymPy import and a
    derivation leave about a million small objects alive until exit. The cyclic collector, at its
    default thresholds, would walk them again every few thousand allocations (0.1–0.2 s of a
    `derive show`), so it runs rarely. Python's teardown would then free them one by one (another
    0.3 s), so the process ends with os._exit once stdout and stderr are flushed. Every file derive
    writes is closed (and renamed into place) before its command returns, so nothing is lost.
    """
    gc.set_threshold(100_000, 20, 20)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:  # as in main: the reader left early; not all output was delivered
            code = 1
    os._exit(code)


def _reason(exc: Exception) -> str:
    """What went wrong, for the one line a usage error prints."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    if isinstance(exc, UnicodeDecodeError):
        return (f"not UTF-8 text: can't decode byte 0x{exc.object[exc.start]:02x} at offset "
                f"{exc.start}; save the file as UTF-8")
    return str(exc)


def _list(args: argparse.Namespace) -> int:
    if args.questions:
        from .problems import QUESTIONS

        width = max(len(q.id) for q in QUESTIONS)
        for q in QUESTIONS:
            points = f"{q.points:g} pt" + ("" if q.points == 1 else "s")
            print(f"{q.id:{width}}  {points:8}  {q.problem}: {q.title}")
        return 0
    for p in PROBLEMS.values():
        print(f"{p.name:16} {p.summary}")
    return 0


def _build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import build
    from .render import handout

    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file; -o wants a folder")
    spec = Path(args.spec) if args.spec else None
    if args.command == "build":
        out = build.build(pdf=args.pdf, spec=spec)
    else:
        if (args.check or args.mark) and not args.answers:
            raise ValueError("--check and --mark need --answers FILE")
        answers = (build.Answers(Path(args.answers), check=args.check or args.mark,
                                 mark=args.mark) if args.answers else None)
        out = build.handouts(
            args.kinds or handout.KINDS, pdf=args.pdf,
            templates=Path(args.templates) if args.templates else None,
            title=args.title, course=args.course, spec=spec, answers=answers,
            one_per_page=args.one_per_page)
    try:
        written = out.write(folder)
    except OSError as exc:
        raise ValueError(f"cannot write to {folder}: {exc.strerror}") from None
    for note in out.notes:
        print(note)
    print("wrote:")
    for path in written:
        print(f"  {path}  ({_size(path.stat().st_size)})")
    sys.stdout.write(out.report)
    return 1 if out.failed else 0


def _size(n: int) -> str:
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} B"


# BLAS reads its thread count when NumPy loads. verify's products are one pass over U each, bound
# by memory, not arithmetic: a second BLAS thread gains little there, and on a busy machine it waits
# for a core (`derive verify --vocab 50000 --dim 300` on two cores at load 4: 5.3 s of CPU with
# one, 8.1 s with two; a 3-row e @ U 32 against 239 ms). One unless the user set a count.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _verify(args: argparse.Namespace) -> int:
    import secrets

    if "numpy" not in sys.modules and not any(os.environ.get(v) for v in BLAS_THREADS):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    from . import verify

    files = [p for p in args.problems if is_loss_file(p) and p not in PROBLEMS]
    if files:
        if len(files) != len(args.problems):
            raise ValueError("give either problem names or loss files, not both")
        return _verify_losses(args)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    for name in args.problems:
        get(name)
    if args.against is not None:
        report = _against(args, seed)
    elif args.function:
        raise ValueError("--function needs --against FILE")
    else:
        from .verify import draws  # U drawn on another core while SymPy is imported

        early = draws.early(args.problems, seed, args.vocab, args.dim, args.mode)
        with _progress_line() as progress:
            report = verify.verify(args.problems, vocab=args.vocab, dim=args.dim,
                                   batch=args.batch, dtype=args.dtype, seed=seed,
                                   mode=args.mode, progress=progress, draws=early)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(verify.table(report))
    return 0 if report.passed else 1


@contextlib.contextmanager
def _progress_line() -> Iterator[Callable[[str], None] | None]:
    """On a terminal, once a run has taken a second, one stderr line naming the running check,
    erased at the end; nothing when stderr is a file or a pipe (CI logs, --json into jq)."""
    if not sys.stderr.isatty():
        yield None
        return
    start, shown = time.monotonic(), [False]

    def show(label: str) -> None:
        if time.monotonic() - start > 1.0:
            sys.stderr.write(f"\r\033[Kverifying {label} …")
            sys.stderr.flush()
            shown[0] = True
    try:
        yield show
    finally:
        if shown[0]:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _against(args: argparse.Namespace, seed: int) -> Any:
    from pathlib import Path

    from .verify import against

    names = list(args.function or [])
    for problem in args.problems:
        if problem not in against.BY_PROBLEM:
            raise ValueError(f"{problem} has no function in the course's word2vec.py; with "
                             f"--against give one of {', '.join(against.BY_PROBLEM)}")
        names.append(against.BY_PROBLEM[problem])
    if args.vocab < 3 or args.dim < 2:
        raise ValueError("--against needs --vocab of at least 3 and --dim of at least 2")
    return against.check_file(Path(args.against), vocab=args.vocab, dim=args.dim, seed=seed,
                              functions=tuple(dict.fromkeys(names)) or against.FUNCTIONS)


def _export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import files
    from .codegen import cache

    if args.loss is not None:
        from .codegen import module

        _lf, derivation = _loss_derivation(args.loss, args.wrt)
        output = args.output or str(Path("output") / (Path(args.loss).stem + ".py"))
        batch = tuple(x.strip() for x in (args.batch or "").split(",") if x.strip())
        source = module.source(derivation, backend=args.backend, batch=batch)
    else:
        if args.wrt is not None or args.batch is not None or args.backend != "numpy":
            raise ValueError("--wrt, --batch and --backend are for a loss file: "
                             "derive export LOSS.tex")
        output = args.output or "output/kernels.py"
        source = cache.module_source()
    path = Path(output)
    if path.is_dir():
        raise ValueError(f"{output} is a folder; give a file name such as "
                         f"{path / 'kernels.py'}")
    try:
        files.write_atomic(path, source)
    except OSError as exc:
        raise ValueError(f"cannot write {output}: {exc.strerror}") from None
    print(f"wrote {output}")
    return 0


def is_loss_file(arg: str) -> bool:
    """A positional argument that ends in .tex or names a file is a loss file."""
    import os

    return arg.endswith(".tex") or os.path.isfile(arg)


def _loss_derivation(path: str, wrt: str | None = None,
                     text: str | None = None) -> tuple[Any, Any]:
    """The loss file at `path` (whose `text` may be read already), read, and its derivation
    (every step checked)."""
    from pathlib import Path

    from . import calculus
    from .steps.lossmath import read_loss, with_wrt

    try:
        lf = read_loss(_read_text(path) if text is None else text, Path(path).stem)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    lf = with_wrt(lf, (wrt or "").split(","), what="--wrt", of=f" of {path}")
    return lf, calculus.derive(lf.loss)


def _loss_json(lf: Any, derivation: Any, title: str) -> dict[str, Any]:
    from . import printing
    from .render import report

    data = report.data(derivation, title)
    data["inputs"] = [{"name": d.name.lstrip("\\"), "kind": d.kind, "shape": list(d.shape)}
                      for d in lf.inputs]
    data["results"] = [{"wrt": g.key, "latex": printing.latex(g.result),
                        "text": printing.text(g.result), "matrix_form": g.steps[-1].matrix}
                       for g in derivation.gradients]
    return data


def _loss_report(args: argparse.Namespace, text: str) -> str:
    """What `derive show LOSS.tex` prints: the file (its `text`) derived, every step checked."""
    from pathlib import Path

    from .render import report

    lf, derivation = _loss_derivation(args.problem, args.wrt, text)
    title = Path(args.problem).name
    if args.format == "json":
        return json.dumps(_loss_json(lf, derivation, title), indent=2, ensure_ascii=False) + "\n"
    if args.format == "latex":
        return report.latex(derivation)
    return report.text(derivation, title)


def _show_loss(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .render import stored

    if args.code:
        raise ValueError("--code is for the built-in problems' kernels, not a loss file")
    # The report depends on the file's bytes and name (its title), the format and --wrt.
    try:
        source = _read_text(args.problem)
    except ValueError as exc:  # not UTF-8, or too long: named with its file, as read_loss's are
        raise ValueError(f"{args.problem}: {_reason(exc)}") from None
    key = stored.key(source, Path(args.problem).name, args.format, args.wrt or "")
    text = stored.recall(key)
    if text is None:
        text = _loss_report(args, source)
        stored.remember(key, text)
    sys.stdout.write(text)
    return 0


def _verify_losses(args: argparse.Namespace) -> int:
    """Each loss file derived with every step checked and each result against SymPy's own
    elementwise derivative; a failed check raises (exit 1)."""
    from . import printing
    from .verify import kernel

    out = []
    for path in args.problems:
        _lf, derivation = _loss_derivation(path)
        checks = {c.wrt: c for c in kernel.check(derivation)}
        for g in derivation.gradients:
            form = ("closed form" if not derivation.loss.objects else "matrix form"
                    if g.steps[-1].matrix else "entry form (no matrix form)")
            k = checks[g.wrt.indexed.name]
            out.append({"loss": path, "wrt": g.key, "result": printing.text(g.result),
                        "form": form, "checked_at": derivation.checked_at,
                        "checked": k.of, "kernel_max_error": k.max_error,
                        "passed": k.passed})
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for r in out:
            mark = "✓" if r["passed"] else "✗"
            print(f"{mark} {r['loss']}: ∂J/∂{r['wrt']} = {r['result']}  [{r['form']}; every step "
                  f"checked at {r['checked_at']}; {r['checked']} against finite differences: "
                  f"max error {r['kernel_max_error']:.1e}]")
    return 0 if all(r["passed"] for r in out) else 1


def _show(args: argparse.Namespace) -> int:
    if is_loss_file(args.problem) and args.problem not in PROBLEMS:
        return _show_loss(args)
    if args.wrt is not None:
        raise ValueError("--wrt is for a loss file")
    problem = get(args.problem)
    from . import calculus, codegen
    from .render import report

    if args.code and problem.name not in codegen.KERNELS:
        raise ValueError(f"{problem.name} has no kernel; kernels: {', '.join(codegen.KERNELS)}")
    derivation = calculus.derive(problem.make_loss())
    if args.code:
        sys.stdout.write(codegen.source(derivation, codegen.KERNELS[problem.name]))
    elif args.format == "json":
        print(json.dumps(report.data(derivation, problem.title), indent=2, ensure_ascii=False))
    elif args.format == "latex":
        sys.stdout.write(report.latex(derivation))
    else:
        sys.stdout.write(report.text(derivation, problem.title))
    return 0
