/** One command of the README's tour, with what its annotation promises. */
export interface TourStep {
  readonly line: number;
  readonly command: string;
  readonly exit: number;
  readonly shows?: string;
}

const BEGIN = /<!-- tour:begin\b[^>]*-->\s*```sh\n/;
const END = /\n```\s*<!-- tour:end -->/;

/**
 * The commands of the README's tour block (between the tour markers) with their annotations: a trailing comment may say
 * `→ exit N` (default 0) and `shows "TEXT"` (the combined output must contain TEXT). Blank and comment lines are skipped.
 */
export function tourSteps(readme: string): TourStep[] {
  const begin = BEGIN.exec(readme);
  if (!begin) throw new Error('README.md has no tour block (<!-- tour:begin --> followed by a sh code block)');
  const rest = readme.slice(begin.index + begin[0].length);
  const end = END.exec(rest);
  if (!end) throw new Error('README.md tour block has no end marker');
  const firstLine = readme.slice(0, begin.index + begin[0].length).split('\n').length;
  const steps: TourStep[] = [];
  rest
    .slice(0, end.index)
    .split('\n')
    .forEach((text, i) => {
      const trimmed = text.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const comment = / #(?: |$)(.*)$/.exec(text)?.[1] ?? '';
      const exit = /→ exit (\d+)/.exec(comment);
      const shows = /shows "([^"]+)"/.exec(comment);
      steps.push({
        line: firstLine + i,
        command: text,
        exit: exit ? Number(exit[1]) : 0,
        ...(shows ? { shows: shows[1]! } : {}),
      });
    });
  return steps;
}

/**
 * A bash script that runs the steps in order in one shell (so `alias`, variables and `export` carry over, as in the
 * reader's terminal) and frames each step's output and exit code for {@link parseTourRun}.
 */
export function tourScript(steps: readonly TourStep[]): string {
  const lines = ['shopt -s expand_aliases', 'exec 2>&1'];
  steps.forEach((s, i) => {
    // The command stays alone on its line: its trailing comment would swallow anything after it.
    lines.push(`printf '\\n::begin ${i}\\n'`, s.command, `printf '\\n::end ${i} %d\\n' $?`);
  });
  return lines.join('\n') + '\n';
}

/** Each step's exit code and output from a run of {@link tourScript}; a step that never ended is missing. */
export function parseTourRun(output: string): Map<number, { exit: number; output: string }> {
  const out = new Map<number, { exit: number; output: string }>();
  for (const m of output.matchAll(/::begin (\d+)\n([\s\S]*?)\n::end \1 (\d+)\n/g))
    out.set(Number(m[1]), { exit: Number(m[3]), output: m[2]! });
  return out;
}
