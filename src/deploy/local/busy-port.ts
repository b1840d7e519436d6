/** A port setting of the local deployment: its configuration key and its environment variable. */
export interface PortSetting {
  key: 'host.port' | 'api.port';
  env: 'ATOLYE_HOST_PORT' | 'ATOLYE_API_PORT';
  port: number;
}

/**
 * The fix for a daemon that could not listen because another program holds its port, when its
 * words say so (EADDRINUSE): the ways to give `npm run deploy` another port. Empty otherwise.
 */
export function busyPortFix(words: string, setting: PortSetting): string {
  if (!words.includes('EADDRINUSE')) return '';
  return (
    `\nport ${setting.port} (${setting.key}) is in use by another program: deploy on another port with ` +
    `\`npm run deploy -- --set ${setting.key}=<port>\`, \`${setting.env}=<port> npm run deploy\` ` +
    `or ${setting.key} in your configuration file (0 picks a free port)`
  );
}
