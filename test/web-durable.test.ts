/**
 * The web app is durable by design, in a real Chromium against a real broker and host: a reload in
 * the middle of a token stream shows the partial reply at once and continues with no missing and no
 * repeated token (compared token for token with the log), and a broker and host restart while a
 * stream runs shows the offline banner, then resumes by itself.
 */
import t from 'tap';
import { loggedText, shown, webScene, type Page } from './fixtures/web-scene.ts';

const tokens = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `tok${from + i} `);

/** Records every text the message shows, from the first paint of each load (reloads included). */
const RECORDER = () => {
  const w = window as unknown as { __texts: string[] };
  w.__texts = [];
  new MutationObserver(() => {
    const el = document.querySelector('[data-testid="message-text"]');
    const text = el?.textContent ?? '';
    if (text && w.__texts.at(-1) !== text) w.__texts.push(text);
  }).observe(document, { subtree: true, childList: true, characterData: true });
};

const texts = (page: Page) => page.evaluate(() => (window as unknown as { __texts: string[] }).__texts);

t.test('the web app survives a reload mid-stream and a broker restart mid-stream', async (t) => {
  const scene = await webScene(t);

  t.test('a reload in the middle of a token stream shows the partial reply at once, then every token once', async (t) => {
    const page = await scene.window('alice');
    await page.addInitScript(RECORDER);
    const { sid, bot } = await scene.botSession('Reload mid-stream', ['alice']);
    await page.locator(`[data-sid="${sid}"] a`).click();
    await shown(page.getByTestId('session-view'));
    const writer = bot.stream({ windowMs: 0 });
    for (const tok of tokens(0, 30)) await writer.write(tok);
    const before = tokens(0, 30).join('');
    await shown(page.getByTestId('message-text').filter({ hasText: before.trim() }));
    await shown(page.locator(`[data-sid="${sid}"]`).getByTestId('streaming').filter({ hasText: 'bot writing' }));
    await scene.shot(page, 'durable-before-reload');

    await page.reload();
    // The cached view is painted before the connection is back: the first text is the partial reply.
    await shown(page.getByTestId('message-text').filter({ hasText: before.trim() }));
    const first = (await texts(page))[0];
    t.ok(first.startsWith(before.trim()), `the first text shown after the reload already holds the 30 tokens (${first.length} chars)`);
    await scene.shot(page, 'durable-after-reload');

    for (const tok of tokens(30, 80)) await writer.write(tok);
    await writer.complete();
    const logged = await loggedText(scene.bot, sid, writer.msgId);
    const full = logged.join('');
    t.equal(logged.length, 80, 'the log holds 80 chunks');
    await shown(
      page.locator('[data-testid="message"]:not([aria-busy="true"]) [data-testid="message-text"]').filter({ hasText: full.trim() }),
    );
    const shownText = (await page.getByTestId('message-text').textContent()) ?? '';
    t.equal(shownText, full, 'the page shows the log text token for token');
    for (const seen of await texts(page))
      if (!full.startsWith(seen))
        t.fail(`a text shown during the stream is not a prefix of the log text: ${JSON.stringify(seen.slice(-40))}`);
    t.equal(await page.getByTestId('message').count(), 1, 'one message, not two');
    // The view is saved to localStorage after the render that shows it: wait (bounded) for the save, then read it.
    const key = `tether.view.alice.${sid}`;
    await page
      .waitForFunction((k) => (JSON.parse(localStorage.getItem(k) ?? '{}').lastSeq ?? 0) >= 82, key, { timeout: 5000 })
      .catch(() => {});
    const lastSeq = await page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? '{}').lastSeq, key);
    t.ok(lastSeq >= 82, `lastSeq is kept in localStorage (${lastSeq})`);
    await scene.shot(page, 'durable-completed');
  });

  t.test('a broker and host restart during a stream shows the offline banner, then the stream resumes', async (t) => {
    const page = await scene.window('carol');
    const { sid, bot } = await scene.botSession('Restart mid-stream', ['carol']);
    await page.locator(`[data-sid="${sid}"] a`).click();
    const writer = bot.stream({ windowMs: 0 });
    for (const tok of tokens(0, 20)) await writer.write(tok);
    await shown(page.getByTestId('message-text').filter({ hasText: tokens(0, 20).join('').trim() }));
    await scene.restart(async () => {
      await shown(page.getByTestId('offline'));
      await scene.shot(page, 'durable-offline');
      t.pass('the offline banner is shown while the broker is down');
    });
    // The agent keeps writing; its chunks are resent after its own reconnect.
    for (const tok of tokens(20, 40)) await writer.write(tok);
    await writer.complete();
    const full = (await loggedText(scene.bot, sid, writer.msgId)).join('');
    await shown(
      page.locator('[data-testid="message"]:not([aria-busy="true"]) [data-testid="message-text"]').filter({ hasText: full.trim() }),
      30_000,
    );
    t.equal(
      await page.getByTestId('message-text').textContent(),
      full,
      'after the restart the page shows the whole reply, token for token',
    );
    t.equal(await page.getByTestId('offline').count(), 0, 'the banner is gone');
    await scene.shot(page, 'durable-resumed');
  });

  t.test('scrolling up fetches older history pages until the beginning, each message once and in order', async (t) => {
    const { sid, bot } = await scene.botSession('Long history', ['judy']);
    for (let i = 0; i < 260; i++) await bot.send(`history message ${i}`, { role: 'agent' });
    const page = await scene.window('judy');
    await page.locator(`[data-sid="${sid}"] a`).click();
    const texts = page.getByTestId('message-text');
    await shown(texts.filter({ hasText: 'history message 259' }));
    const first = await texts.count();
    t.ok(first < 260, `the first page does not hold the whole session (${first} messages)`);
    await scene.shot(page, 'durable-history-first-page');
    const scroller = page.locator('.scroller');
    const beginning = page.getByTestId('beginning');
    for (let round = 0; round < 20 && !(await beginning.isVisible()); round++) {
      const before = await texts.count();
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      await page.waitForFunction(
        (n) => document.querySelectorAll('[data-testid="message-text"]').length > n || document.querySelector('[data-testid="beginning"]'),
        before,
        { timeout: 15_000 },
      );
    }
    await shown(beginning);
    const all = await texts.allTextContents();
    t.same(
      all,
      Array.from({ length: 260 }, (_, i) => `history message ${i}`),
      'after scrolling back, every message is there once, in order',
    );
    await scene.shot(page, 'durable-history-beginning');
  });
});
