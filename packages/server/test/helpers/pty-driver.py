"""Runs a command on a real pseudo-terminal and types answers when prompts appear.

Input (JSON on stdin): {"argv": [...], "env": {...}, "steps": [[regex, text], ...], "timeoutSeconds": n}
Output (JSON on stdout): {"output": everything the terminal showed, "status": exit code, "pending": steps
not reached}. An answer is typed only after its prompt is on the screen, so what the terminal echoes
is decided by the mode the program set before prompting, as with a person at a keyboard.
"""
import json, os, pty, re, select, signal, sys, time

spec = json.load(sys.stdin)
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(spec["env"])
    os.execvp(spec["argv"][0], spec["argv"])
output = b""
seen = 0
steps = list(spec["steps"])
deadline = time.monotonic() + spec["timeoutSeconds"]
while True:
    if steps:
        match = re.search(steps[0][0].encode(), output[seen:])
        if match:
            seen += match.end()
            os.write(fd, steps.pop(0)[1].encode())
            continue
    if time.monotonic() > deadline:
        os.kill(pid, signal.SIGKILL)
        break
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the program exited and closed the terminal
            break
        if not data:
            break
        output += data
_, status = os.waitpid(pid, 0)
json.dump({"output": output.decode("utf8", "replace"), "status": os.waitstatus_to_exitcode(status), "pending": len(steps)}, sys.stdout)
