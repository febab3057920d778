/** The web app's entry: reads the page's config, renders the app, signs in again after a reload. */
import { render } from 'preact';
import { html } from 'htm/preact';
import { WebModel, type WebConfig } from './model.ts';
import { App } from './views/app.ts';
import css from './style.css';

const config = JSON.parse(document.getElementById('tether-config')?.textContent ?? '{}') as Partial<WebConfig>;
const model = new WebModel({ auth: config.auth ?? 'anonymous', wsPath: config.wsPath ?? '/mqtt' });
const style = document.createElement('style');
style.textContent = css;
document.head.append(style);
render(html`<${App} model=${model} />`, document.getElementById('app')!);
void model.resume();
// For tests and the console: the model of this page.
(window as unknown as { tether: WebModel }).tether = model;
