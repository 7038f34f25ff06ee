/** The types a benchmark module is written against: the Report callback it prints its figures with, and the module's shape. */

export type Report = (name: string, value: string | number) => void;

export interface BenchmarkModule {
  run(report: Report): Promise<void>;
}
