/** The file name for a download: `Content-Disposition`'s `filename`, else the URL's last path segment. */
function fileName(response: Response, url: string): string {
  const disposition = /filename="?([^";]+)"?/i.exec(response.headers.get('content-disposition') ?? '')
  const fromUrl = new URL(url).pathname.split('/').pop()
  return disposition?.[1] ?? (fromUrl || 'download')
}

/**
 * Shows a paid response as the route returned it, inside `into`: HTML rendered in a sandboxed
 * frame (no scripts, no access to this page), JSON indented and readable, anything else as a
 * download link. Returns what it showed.
 */
export async function showContent(response: Response, into: HTMLElement, url: string): Promise<string> {
  const type = (response.headers.get('content-type') ?? '').toLowerCase()
  into.replaceChildren()
  if (type.startsWith('text/html')) {
    const frame = document.createElement('iframe')
    frame.setAttribute('sandbox', '')
    frame.title = 'The content you paid for'
    frame.srcdoc = await response.text()
    into.append(frame)
    return 'html'
  }
  if (/^[^;]*[/+]json\b/.test(type)) {
    const text = await response.text()
    const pre = document.createElement('pre')
    pre.tabIndex = 0
    try {
      pre.textContent = JSON.stringify(JSON.parse(text), null, 2)
    } catch {
      pre.textContent = text
    }
    into.append(pre)
    return 'json'
  }
  const blob = await response.blob()
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = fileName(response, url)
  link.textContent = `Download ${link.download} (${blob.size} bytes)`
  into.append(link)
  return 'download'
}
