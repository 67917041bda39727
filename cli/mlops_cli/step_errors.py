"""What made a step fail, found in the step's own part of a run log.

kfp.local writes every step's output to one log, and the exit handler (notify) runs after the step
that failed, so the end of the log is notify's input, not the error. The runner records where each
step's output starts and ends in the log; this module reads the failed step's part and finds the
Python exception it ended with: type, message and the last frames of its traceback.
"""

from __future__ import annotations

from pathlib import Path

_HEADER = "Traceback (most recent call last):"
_FRAMES = 3  # the innermost frames: where the step's own code raised


def step_error(text: str, frames: int = _FRAMES) -> str | None:
    """The last traceback in `text` as `Type: message` plus its last `frames` frames; None if none."""
    lines = text.splitlines()
    starts = [number for number, line in enumerate(lines) if line.strip() == _HEADER]
    if not starts:
        return None
    start = starts[-1]
    indent = len(lines[start]) - len(lines[start].lstrip())
    frame_lines: list[list[str]] = []
    message: list[str] = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        depth = len(line) - len(line.lstrip())
        if message and depth < indent:
            break  # the runner's own log lines follow the step's output
        if message or (depth <= indent and not line.lstrip().startswith("File ")):
            message.append(line.strip())
        elif line.lstrip().startswith("File "):
            frame_lines.append([line.strip()])
        elif frame_lines and line.strip().strip("^~ "):  # the frame's source line, not the carets
            frame_lines[-1].append(line.strip())
    if not message:
        return None
    kept = [f"  {frame[0]}" + (f"\n    {frame[1]}" if len(frame) > 1 else "") for frame in frame_lines[-frames:]]
    return "\n".join([" ".join(message), *kept])


def failed_step_report(step: str, log_path: Path, section: tuple[int, int] | None, tail: int = 20) -> str:
    """What to print when `step` failed: its exception (or the end of its output) and the log's path.

    `section` is the step's (start, end) byte offsets in the log; None if unknown (then the whole log).
    """
    data = log_path.read_bytes()
    start, end = section or (0, len(data))
    text = data[start:end].decode("utf-8", errors="replace")
    first_line = data[:start].count(b"\n") + 1
    where = f"{log_path} (from line {first_line})"
    found = step_error(text)
    if found is None:
        last = "\n".join(f"  {line}" for line in text.rstrip().splitlines()[-tail:])
        return f"step {step} failed without a Python traceback; the end of its output:\n{last}\nfull log: {where}"
    return f"step {step} failed: {found}\nfull log: {where}"
