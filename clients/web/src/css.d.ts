/** Style sheets are bundled as text (esbuild's text loader) and put in a <style> element. */
declare module '*.css' {
  const text: string;
  export default text;
}
