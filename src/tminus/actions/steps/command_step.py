"""`command`: a program run as argv (a shell only when the plan says so), with a timeout
after which its whole process group is killed."""

from __future__ import annotations

import shlex

from tminus.actions.steps.base import ActionContext, ActionFailed, Output
from tminus.backends.base import BackendError
from tminus.core.redact import secret_from_env
from tminus.plan.model import CommandAction

OUTPUT_LIMIT = 16 * 1024


class CommandStep:
    def __init__(self, spec: CommandAction, ctx: ActionContext) -> None:
        self.spec = spec
        self.ctx = ctx

    async def preview(self) -> str:
        spec = self.spec
        what = f"sh -c {shlex.quote(spec.command or '')}" if spec.shell else shlex.join(spec.argv)
        parts = [f"run {what}", f"timeout {spec.timeout.total_seconds():g}s"]
        if spec.cwd:
            parts.append(f"in {spec.cwd}")
        if spec.env_from:
            parts.append("env " + ", ".join(f"{k} from ${v}" for k, v in spec.env_from.items()))
        return "; ".join(parts)

    async def run(self, out: Output) -> None:
        spec = self.spec
        env: dict[str, str] = {}
        for child_var, our_var in spec.env_from.items():
            value = secret_from_env(self.ctx.backends.env, our_var)
            if value is None:
                raise ActionFailed(f"environment variable {our_var} is not set (for {child_var})")
            env[child_var] = value
        timeout = spec.timeout.total_seconds()
        try:
            result = await self.ctx.backends.commands.run(
                spec.argv or None,
                command=spec.command,
                shell=spec.shell,
                cwd=spec.cwd,
                env=env,
                timeout=timeout,
                output_limit=OUTPUT_LIMIT,
            )
        except BackendError as exc:
            raise ActionFailed(str(exc)) from None
        for line in (result.stdout + result.stderr).splitlines()[-20:]:
            out(line)
        if result.timed_out:
            raise ActionFailed(f"timed out after {timeout:g}s; its process group was killed")
        if result.exit_code != 0:
            raise ActionFailed(f"exit {result.exit_code}")
        out(f"exit 0 in {result.duration:.1f}s")
