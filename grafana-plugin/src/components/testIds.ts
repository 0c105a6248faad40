/**
 * The data-testid values of the plugin, shared by the component tests (jest) and the
 * browser test (playwright). A KPI cell is `kpi <table> <row key> <kpi name>`.
 */
export const testIds = {
  appConfig: {
    container: 'data-testid tf-config',
    apiKey: 'data-testid tf-config-api-key',
    apiUrl: 'data-testid tf-config-api-url',
    submit: 'data-testid tf-config-submit',
    saved: 'data-testid tf-config-saved',
    error: 'data-testid tf-config-error',
  },
  page: {
    container: (page: string) => `data-testid tf-page-${page}`,
    timePicker: 'data-testid tf-time-picker',
    window: 'data-testid tf-window',
  },
  state: {
    loading: 'data-testid tf-loading',
    error: 'data-testid tf-error',
    empty: 'data-testid tf-empty',
  },
  kpi: (table: string, rowKey: string, name: string) => `kpi ${table} ${rowKey} ${name}`,
  stat: (name: string) => `stat ${name}`,
  revenue: {
    scenario: 'data-testid tf-revenue-scenario',
    apply: 'data-testid tf-revenue-apply',
    reset: 'data-testid tf-revenue-reset',
    input: (name: string) => `data-testid tf-revenue-input-${name}`,
  },
  workflows: {
    workflowLink: (name: string) => `data-testid tf-workflow-${name}`,
    instanceLink: (id: string) => `data-testid tf-workflow-instance-${id}`,
    requests: 'data-testid tf-workflow-requests',
  },
  tenants: {
    csv: 'data-testid tf-tenants-csv',
  },
  executive: {
    print: 'data-testid tf-executive-print',
  },
};
