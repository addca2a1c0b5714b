export interface AdminUiBuild {
  outdir: string;
  sizes: Record<string, { bytes: number; gzip: number }>;
  gzipTotal: number;
}
export function buildAdminUi(opts?: { outdir?: string; quiet?: boolean }): Promise<AdminUiBuild>;
export function ensureAdminUi(opts?: { outdir?: string; quiet?: boolean }): Promise<AdminUiBuild>;
