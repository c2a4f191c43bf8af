"""The backend gate's cross-validation measure: leave-one-seed-out, fp32 torch against int8.

Runs ``eventslots crossval``'s folds with the default settings (five fold
models, trained on everything but one seed) and reads each held-out seed twice:
with the fold model in torch and with its int8 ONNX graph. The gate asks the
int8 strict span F1 to be within 0.01 of fp32. The same run writes
``eventslots crossval``'s own report (``reports/crossval/<settings>-<data>/``),
so one run of about 90 minutes on 2 cores gives both.

    python benchmarks/bench_backends_crossval.py

Writes ``benchmarks/results/bench_backends_crossval.{json,md}``.
"""

from __future__ import annotations

from reporting import write_results  # benchmarks/reporting.py

from eventslots.model.backends import GATE


def main() -> None:
    from eventslots.training.config import TrainingConfig
    from eventslots.training.jobs import crossval_and_report

    report, out_dir = crossval_and_report(TrainingConfig(), None, "python benchmarks/bench_backends_crossval.py", int8=True)
    print(f"eventslots crossval's report: {out_dir}", flush=True)
    lines = [
        f"Leave-one-seed-out with the default settings; each fold model read by torch (fp32) and by its int8 ONNX graph "
        f"({report['seconds']:.0f} s on 2 cores). Gate: int8 strict F1 within {GATE['f1_drop']} of fp32.\n",
        "| fold | held out | strict F1, fp32 torch | strict F1, int8 | seqeval F1, fp32 torch | seqeval F1, int8 |",
        "|---|---|---|---|---|---|",
    ]
    for fold in report["folds"]:
        lines.append(f"| {fold['fold']} | {', '.join(fold['documents'])} | {fold['exact_micro_f1']:.3f} | {fold['int8']['exact_micro_f1']:.3f} | "
                     f"{fold['seqeval_micro_f1']:.3f} | {fold['int8']['seqeval_micro_f1']:.3f} |")
    for name, torch_row, int8_row in (("mean", report["mean"], report["int8"]["mean"]), ("pooled", report["pooled"], report["int8"]["pooled"])):
        torch_row = torch_row if "exact_micro_f1" in torch_row else {
            "exact_micro_f1": torch_row["exact"]["micro"]["f1"], "seqeval_micro_f1": torch_row["seqeval"]["micro"]["f1"]}
        lines.append(f"| {name} | | {torch_row['exact_micro_f1']:.3f} | {int8_row['exact_micro_f1']:.3f} | "
                     f"{torch_row['seqeval_micro_f1']:.3f} | {int8_row['seqeval_micro_f1']:.3f} |")
    drop = report["mean"]["exact_micro_f1"] - report["int8"]["mean"]["exact_micro_f1"]
    lines.append(f"\nMean strict F1 drop: {drop:.3f}: gate **{'passed' if drop <= GATE['f1_drop'] else 'failed'}**.")
    summary = {"folds": report["folds"], "mean": report["mean"], "int8": report["int8"], "seconds": report["seconds"], "drop": drop}
    write_results("bench_backends_crossval", summary, lines)


if __name__ == "__main__":
    from eventslots.cli.training import show_progress_log

    show_progress_log()
    main()
