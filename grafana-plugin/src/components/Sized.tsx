import React, { useEffect, useRef, useState } from 'react';

/**
 * Gives a chart the width of its container, measured after layout and on window resize
 * (charts need pixel sizes). Until the container has a width — or in an environment that
 * lays nothing out — the chart is not drawn.
 */
export function Sized({ height, children }: { height: number; children: (width: number, height: number) => React.ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const measure = () => setWidth(ref.current?.clientWidth ?? 0);
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  }, []);
  return (
    <div ref={ref} style={{ width: '100%', height }}>
      {width > 0 ? children(width, height) : null}
    </div>
  );
}
