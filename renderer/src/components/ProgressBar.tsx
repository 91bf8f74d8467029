/**
 * A determinate progress bar; the tone colours it by download state. The fill is moved
 * with a transform, not sized with a width, so its transition costs no layout or paint.
 */
export function ProgressBar({ value, label, tone = 'active' }: { value: number; label: string; tone?: string }) {
  const clamped = Math.min(100, Math.max(0, value));
  return (
    <div
      className={`progress progress-${tone}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped}
      aria-valuetext={`${clamped}%`}
    >
      <div className="progress-fill" style={{ transform: `translateX(${clamped - 100}%)` }} />
    </div>
  );
}
