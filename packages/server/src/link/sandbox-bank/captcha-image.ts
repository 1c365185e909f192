/** An SVG captcha as a data: URL: the characters, rotated a little, over noise lines. */
export function captchaImage(textToShow: string): string {
  const letters = [...textToShow]
    .map(
      (ch, i) =>
        `<text x="${14 + i * 26}" y="38" transform="rotate(${(i % 2 === 0 ? -1 : 1) * (8 + i * 3)} ${20 + i * 26} 30)" font-family="monospace" font-size="28" fill="#223">${ch}</text>`,
    )
    .join("");
  const noise = [0, 1, 2, 3]
    .map(
      (i) => `<line x1="0" y1="${8 + i * 12}" x2="160" y2="${44 - i * 9}" stroke="#8a8" stroke-width="1"/>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="52"><rect width="160" height="52" fill="#eef"/>${noise}${letters}</svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}
