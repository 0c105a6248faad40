/**
 * The configuration page: where the token-factory API is and the key to call it with.
 * The URL goes to jsonData, the key to secureJsonData (write-only: Grafana encrypts it
 * and never sends it back, only whether it is set). The plugin route in plugin.json reads
 * both. Saving reports success or the reason it failed here, without reloading; "Test"
 * calls the API's health endpoint through the route.
 */
import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps } from '@grafana/data';
import { getBackendSrv, isFetchError } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, SecretInput, useStyles2 } from '@grafana/ui';
import { z } from 'zod';
import { API_PROXY_BASE, type AppSettings } from '../../constants';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

/** The API URL: http(s), no trailing slash (the route appends /api/v1/…). */
export const apiUrlSchema = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }))
  .transform((u) => u.replace(/\/+$/, ''));

type Status = { kind: 'saved' | 'tested'; text: string } | { kind: 'error'; text: string } | undefined;

function reason(e: unknown): string {
  if (isFetchError(e)) {
    const data = e.data as { message?: string; error?: string } | undefined;
    return `${e.status} ${data?.message ?? data?.error ?? e.statusText ?? ''}`.trim();
  }
  return e instanceof Error ? e.message : String(e);
}

export function AppConfig({ plugin }: AppConfigProps) {
  const s = useStyles2(getStyles);
  const { enabled, pinned, jsonData, secureJsonFields } = plugin.meta;
  const [apiUrl, setApiUrl] = useState(jsonData?.apiUrl ?? '');
  const [apiKey, setApiKey] = useState('');
  const [keySet, setKeySet] = useState(Boolean(secureJsonFields?.apiKey));
  const [status, setStatus] = useState<Status>();
  const [busy, setBusy] = useState(false);
  const url = apiUrlSchema.safeParse(apiUrl);
  const urlError = apiUrl.trim() === '' ? undefined : url.success ? undefined : url.error.issues[0]?.message;

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!url.success) {
      setStatus({ kind: 'error', text: `API URL: ${url.error.issues[0]?.message ?? 'invalid'}` });
      return;
    }
    setBusy(true);
    try {
      await lastValueFrom(
        getBackendSrv().fetch({
          url: `/api/plugins/${plugin.meta.id}/settings`,
          method: 'POST',
          data: {
            enabled: enabled ?? true,
            pinned: pinned ?? true,
            jsonData: { ...jsonData, apiUrl: url.data },
            // Only when typed: an untouched, already set key stays as it is.
            ...(apiKey !== '' ? { secureJsonData: { apiKey } } : {}),
          },
          showErrorAlert: false,
        })
      );
      if (apiKey !== '') {
        setKeySet(true);
        setApiKey('');
      }
      setStatus({ kind: 'saved', text: `Saved: the plugin calls ${url.data}.` });
    } catch (err) {
      setStatus({ kind: 'error', text: `Could not save the settings: ${reason(err)}` });
    } finally {
      setBusy(false);
    }
  };

  const test = async () => {
    setBusy(true);
    try {
      const res = await lastValueFrom(getBackendSrv().fetch<{ status?: string }>({ url: `${API_PROXY_BASE}/api/v1/health`, method: 'GET', showErrorAlert: false }));
      setStatus({ kind: 'tested', text: `The API answers: ${JSON.stringify(res.data)}` });
    } catch (err) {
      setStatus({ kind: 'error', text: `The API did not answer through the plugin route: ${reason(err)}` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save} data-testid={testIds.appConfig.container}>
      <FieldSet label="token-factory API">
        <Field label="API URL" description="Base URL of the token-factory API (token-factory serve), e.g. http://token-factory:8080" invalid={Boolean(urlError)} error={urlError}>
          <Input
            width={60}
            id="config-api-url"
            data-testid={testIds.appConfig.apiUrl}
            value={apiUrl}
            placeholder="http://token-factory:8080"
            onChange={(e) => setApiUrl(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="API key"
          description="An admin key of the API's config (api.keys without a tenant): the pages show fleet-wide figures. Stored encrypted by Grafana; never sent back to the browser."
          className={s.marginTop}
        >
          <SecretInput
            width={60}
            id="config-api-key"
            data-testid={testIds.appConfig.apiKey}
            value={apiKey}
            isConfigured={keySet}
            placeholder="API key (leave empty if the API has no keys)"
            onChange={(e) => setApiKey(e.currentTarget.value.trim())}
            onReset={() => {
              setApiKey('');
              setKeySet(false);
            }}
          />
        </Field>
        <div className={s.buttons}>
          <Button type="submit" data-testid={testIds.appConfig.submit} disabled={busy || !url.success}>
            Save API settings
          </Button>
          <Button type="button" variant="secondary" disabled={busy} onClick={test}>
            Test
          </Button>
        </div>
        {status ? (
          <div className={s.marginTop} data-testid={status.kind === 'error' ? testIds.appConfig.error : testIds.appConfig.saved}>
            <Alert severity={status.kind === 'error' ? 'error' : 'success'} title={status.kind === 'error' ? 'Error' : 'OK'}>
              {status.text}
            </Alert>
          </div>
        ) : null}
      </FieldSet>
    </form>
  );
}

export default AppConfig;

const getStyles = (theme: GrafanaTheme2) => ({
  marginTop: css({ marginTop: theme.spacing(2) }),
  buttons: css({ display: 'flex', gap: theme.spacing(1), marginTop: theme.spacing(2) }),
});
