/**
 * dcgm-exporter (`DCGM_FI_*`, https://github.com/NVIDIA/dcgm-exporter): labels `gpu`,
 * `UUID`, `pci_bus_id`, `device`, `modelName`, `Hostname` (a lowercase `hostname` is
 * coming: both are accepted downstream) and, with Kubernetes mapping, `pod`/`namespace`/
 * `container`. The typed table `gpu_samples` keys on `UUID`: a `uuid` spelled in lower
 * case (older exporters, relabelled setups) is renamed; series without any UUID cannot be
 * attributed to a GPU and are noted (they are still stored raw).
 */
import type { RawRows } from '../../../core/schema/otel-rows.js';
import type { ScrapeMapper } from './mapper.js';
import { mapMetricRows, withAttributes } from './relabel.js';

export const mapDcgm: ScrapeMapper = (rows: RawRows) => {
  const notes: string[] = [];
  let noUuid = 0;
  const out = mapMetricRows(rows, (row) => {
    if (!row.MetricName.startsWith('DCGM_FI_')) return row;
    const a = row.Attributes;
    if ((a['UUID'] ?? '') !== '') return row;
    const lower = a['uuid'] ?? '';
    if (lower === '') {
      noUuid++;
      return row;
    }
    return withAttributes(row, ({ uuid: _, ...rest }) => ({ ...rest, UUID: lower }));
  });
  if (noUuid > 0) notes.push(`${noUuid} DCGM series carry no UUID label: they are stored raw but not counted as GPU samples`);
  return { rows: out, notes };
};
